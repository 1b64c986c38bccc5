package azureiot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Token lifetime defaults. MQTT cannot renew a token on a live connection, so
// the adapter reconnects with a fresh token before the old one expires.
const (
	// DefaultTokenTTL is the default lifetime of a SAS token.
	DefaultTokenTTL = time.Hour

	// DefaultTokenRenewAt is the default fraction of a token's lifetime after
	// which the adapter reconnects with a new token (as azure-sdk-for-c does).
	DefaultTokenRenewAt = 0.8
)

// DeviceResource returns the SAS resource of a device,
// "{hostName}/devices/{deviceId}", or of a module when moduleID is not empty,
// "{hostName}/devices/{deviceId}/modules/{moduleId}". It is not URL-encoded:
// SASToken encodes it.
func DeviceResource(hostName, deviceID, moduleID string) string {
	r := hostName + "/devices/" + deviceID
	if moduleID != "" {
		r += "/modules/" + moduleID
	}
	return r
}

// SASToken returns the MQTT password for resource (see DeviceResource), signed
// with the decoded shared access key and valid until expiry:
//
//	SharedAccessSignature sr={URL-encoded resource}&sig={signature}&se={expiry}[&skn={keyName}]
//
// The string to sign is the URL-encoded resource, "\n" and the expiry in Unix
// seconds; the signature is the URL-encoded base64 HMAC-SHA256 of it. keyName
// is the shared access policy name, empty for a device or module key.
//
// The result is a secret: never log it. Check the clock with CheckClock before
// choosing expiry.
func SASToken(resource string, key []byte, keyName string, expiry time.Time) string {
	sr := percentEncode(resource)
	se := strconv.FormatInt(expiry.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(sr + "\n" + se))
	sig := percentEncode(base64.StdEncoding.EncodeToString(mac.Sum(nil)))

	var b strings.Builder
	b.Grow(len("SharedAccessSignature sr=&sig=&se=&skn=") + len(sr) + len(sig) + len(se) + len(keyName)*3)
	b.WriteString("SharedAccessSignature sr=")
	b.WriteString(sr)
	b.WriteString("&sig=")
	b.WriteString(sig)
	b.WriteString("&se=")
	b.WriteString(se)
	if keyName != "" {
		b.WriteString("&skn=")
		b.WriteString(percentEncode(keyName))
	}
	return b.String()
}

// TokenRenewTime returns when a token issued at issued and expiring at expiry
// should be replaced: after fraction of its lifetime (DefaultTokenRenewAt when
// fraction is not in (0, 1]).
func TokenRenewTime(issued, expiry time.Time, fraction float64) time.Time {
	if !(fraction > 0 && fraction <= 1) {
		fraction = DefaultTokenRenewAt
	}
	return issued.Add(time.Duration(float64(expiry.Sub(issued)) * fraction))
}
