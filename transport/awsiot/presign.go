package awsiot

import (
	"fmt"
	"strings"
	"time"
)

// minSigningUnix (2020-01-01T00:00:00Z) is the earliest signing time
// PresignWebSocketURL accepts: an earlier clock is one that was never set (a
// device without RTC boots in 1970), and AWS would reject the signature
// anyway.
const minSigningUnix = 1577836800

// PresignWebSocketURL returns the URL for MQTT over WebSocket to AWS IoT
// Core, signed with AWS Signature Version 4 in the query string:
//
//	wss://{endpoint}/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256
//	    &X-Amz-Credential={key id}%2F{date}%2F{region}%2Fiotdevicegateway%2Faws4_request
//	    &X-Amz-Date={yyyymmddThhmmssZ}&X-Amz-SignedHeaders=host
//	    &X-Amz-Signature={hex}[&X-Amz-Security-Token={token}]
//
// It signs a GET of WebSocketPath with the host header (endpoint, exactly as
// it appears in the URL, port included if given) and the SHA-256 of an
// empty payload. AWS IoT Core differs from most AWS services in one point:
// the session token of temporary credentials is not part of the signed
// query; it is appended after the signature.
//
// endpoint is the account's data endpoint ("xxxx-ats.iot.us-east-1.amazonaws.com")
// without scheme or path; region is e.g. "us-east-1"; now is the signing
// time (converted to UTC). AWS accepts the signature for a few minutes
// around now, so presign right before each connection attempt.
//
// The URL carries the access key ID, the session token and a signature that
// grants access: treat it as a secret. Errors never contain credentials.
func PresignWebSocketURL(endpoint, region string, creds Credentials, now time.Time) (string, error) {
	if err := validateEndpoint(endpoint); err != nil {
		return "", err
	}
	if err := validateRegion(region); err != nil {
		return "", err
	}
	if err := creds.validate(); err != nil {
		return "", err
	}
	if now.Unix() < minSigningUnix {
		return "", fmt.Errorf("%w: signing time %s is before 2020",
			ErrClockNotSet, now.UTC().Format(time.RFC3339))
	}

	amzDate := now.UTC().Format(amzDateFormat)
	date := amzDate[:8]
	scope := credentialScope(date, region, SigningService)
	req := sigV4Request{
		method: "GET",
		path:   WebSocketPath,
		query: []sigV4Param{
			{"X-Amz-Algorithm", sigV4Algorithm},
			{"X-Amz-Credential", creds.AccessKeyID + "/" + scope},
			{"X-Amz-Date", amzDate},
			{"X-Amz-SignedHeaders", "host"},
		},
		headers:     []sigV4Param{{"host", endpoint}},
		payloadHash: emptyPayloadHash,
	}
	creq, _ := req.canonical()
	key := deriveSigningKey(creds.SecretAccessKey, date, region, SigningService)
	sig := signature(key, stringToSign(amzDate, scope, creq))

	var b strings.Builder
	b.WriteString("wss://")
	b.WriteString(endpoint)
	b.WriteString(WebSocketPath)
	b.WriteByte('?')
	b.WriteString(req.canonicalQuery())
	b.WriteString("&X-Amz-Signature=")
	b.WriteString(sig)
	if creds.SessionToken != "" {
		b.WriteString("&X-Amz-Security-Token=")
		b.WriteString(uriEncode(creds.SessionToken))
	}
	return b.String(), nil
}

// validateEndpoint accepts a host name or IP literal with an optional port:
// the characters of a DNS name, ":" for the port and "[]" for IPv6. Anything
// else (a scheme, a path, user info, spaces) would change the URL or the
// signed host header.
func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("%w: empty", ErrInvalidEndpoint)
	}
	for i := 0; i < len(endpoint); i++ {
		c := endpoint[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == ':', c == '[', c == ']':
		default:
			return fmt.Errorf("%w: byte %d: want a host name with an optional port, without scheme or path", ErrInvalidEndpoint, i)
		}
	}
	return nil
}

// validateRegion accepts AWS region names: lower-case letters, digits and
// hyphens ("us-east-1", "cn-north-1", "us-gov-west-1").
func validateRegion(region string) error {
	if region == "" {
		return fmt.Errorf("%w: empty", ErrInvalidRegion)
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("%w: byte %d: want lower-case letters, digits and hyphens", ErrInvalidRegion, i)
		}
	}
	return nil
}
