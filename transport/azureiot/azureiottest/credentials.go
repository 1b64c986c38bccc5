package azureiottest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// username is a parsed IoT Hub MQTT username,
// {host}/{deviceId}[/{moduleId}]/?api-version={v}[&model-id={dtmi}][&...].
type username struct {
	host       string
	deviceID   string
	moduleID   string
	apiVersion string
	modelID    string
}

var errUsername = errors.New("azureiottest: malformed username")

// parseUsername parses an IoT Hub MQTT username. IDs are not URL-encoded in
// it (and may contain '?'); the query after the last "/?" is.
func parseUsername(s string) (username, error) {
	i := strings.LastIndex(s, "/?")
	if i < 0 {
		return username{}, errUsername
	}
	path, query := s[:i], s[i+2:]
	parts := strings.Split(path, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return username{}, errUsername
	}
	for _, p := range parts {
		if p == "" {
			return username{}, errUsername
		}
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return username{}, errUsername
	}
	u := username{host: parts[0], deviceID: parts[1], apiVersion: values.Get("api-version"), modelID: values.Get("model-id")}
	if len(parts) == 3 {
		u.moduleID = parts[2]
	}
	if u.apiVersion == "" {
		return username{}, errUsername
	}
	return u, nil
}

// sasToken is a parsed SharedAccessSignature; its fields are as sent
// (percent-encoded) except expiry.
type sasToken struct {
	sr      string // the resource as sent: the signature covers it verbatim
	sig     string
	se      string
	skn     string
	expiry  time.Time
	hasSkn  bool
	decoded string // sr percent-decoded
}

var errToken = errors.New("azureiottest: malformed SAS token")

// parseSASToken parses "SharedAccessSignature sr=...&sig=...&se=...[&skn=...]"
// with the fields in any order.
func parseSASToken(s string) (sasToken, error) {
	rest, ok := strings.CutPrefix(s, "SharedAccessSignature ")
	if !ok {
		return sasToken{}, errToken
	}
	var t sasToken
	seen := map[string]bool{}
	for _, part := range strings.Split(rest, "&") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" || seen[k] {
			return sasToken{}, errToken
		}
		seen[k] = true
		switch k {
		case "sr":
			t.sr = v
		case "sig":
			t.sig = v
		case "se":
			t.se = v
		case "skn":
			t.skn, t.hasSkn = v, true
		default:
			return sasToken{}, errToken
		}
	}
	if t.sr == "" || t.sig == "" || t.se == "" {
		return sasToken{}, errToken
	}
	se, err := strconv.ParseInt(t.se, 10, 64)
	if err != nil || se <= 0 {
		return sasToken{}, errToken
	}
	t.expiry = time.Unix(se, 0)
	dec, err := url.PathUnescape(t.sr)
	if err != nil {
		return sasToken{}, errToken
	}
	t.decoded = dec
	return t, nil
}

// validSignature reports whether t is signed with key: the signature is the
// base64 HMAC-SHA256 of the resource as sent, "\n" and the expiry.
func (t sasToken) validSignature(key []byte) bool {
	sig, err := url.PathUnescape(t.sig)
	if err != nil {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(t.sr + "\n" + t.se))
	return hmac.Equal(got, mac.Sum(nil))
}
