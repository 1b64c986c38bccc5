package awsiot

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidSignature: a presigned WebSocket request does not carry a
// valid SigV4 signature for the expected credentials (see
// VerifyWebSocketQuery).
var ErrInvalidSignature = errors.New("awsiot: invalid SigV4 signature")

// Query parameters of a presigned WebSocket URL.
const (
	amzAlgorithm     = "X-Amz-Algorithm"
	amzCredential    = "X-Amz-Credential"
	amzDate          = "X-Amz-Date"
	amzSignedHeaders = "X-Amz-SignedHeaders"
	amzSignature     = "X-Amz-Signature"
	amzSecurityToken = "X-Amz-Security-Token"
	amzExpires       = "X-Amz-Expires"
)

// VerifyWebSocketQuery checks the SigV4 query of a WebSocket upgrade
// request to WebSocketPath the way AWS IoT Core does, for emulators and
// tests (awsiottest): the algorithm, a credential scope for creds'
// access key, region and SigningService, a signing time within maxSkew of
// now (and before X-Amz-Expires seconds after it, when given), "host" as
// the only signed header, the session token when creds has one (appended
// after signing, so not signed; a token signed in is accepted too), and the
// signature itself, recomputed over every other query parameter.
//
// host is the request's Host header and rawQuery its raw query string.
// Errors match ErrInvalidSignature and never contain a signature, a token
// or the secret key.
func VerifyWebSocketQuery(host, rawQuery, region string, creds Credentials, now time.Time, maxSkew time.Duration) error {
	bad := func(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidSignature, reason) }
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return bad("malformed query")
	}
	one := func(name string) (string, error) {
		switch v := q[name]; len(v) {
		case 0:
			return "", bad(name + " missing")
		case 1:
			return v[0], nil
		default:
			return "", bad(name + " repeated")
		}
	}
	var fields [5]string
	for i, name := range []string{amzAlgorithm, amzCredential, amzDate, amzSignedHeaders, amzSignature} {
		if fields[i], err = one(name); err != nil {
			return err
		}
	}
	alg, credential, date, signedHeaders, sig := fields[0], fields[1], fields[2], fields[3], fields[4]
	if alg != sigV4Algorithm {
		return bad("algorithm is not " + sigV4Algorithm)
	}
	signedAt, err := time.Parse(amzDateFormat, date)
	if err != nil {
		return bad(amzDate + " is not yyyymmddThhmmssZ")
	}
	if d := now.Sub(signedAt); d > maxSkew || d < -maxSkew {
		return bad(fmt.Sprintf("signed at %s, more than %s from now", date, maxSkew))
	}
	if v, ok := q[amzExpires]; ok {
		secs, err := strconv.Atoi(strings.Join(v, ","))
		if err != nil || secs < 0 {
			return bad(amzExpires + " is not a number of seconds")
		}
		if now.After(signedAt.Add(time.Duration(secs) * time.Second)) {
			return bad("expired")
		}
	}
	scope := strings.Split(credential, "/")
	switch {
	case len(scope) != 5:
		return bad("malformed credential scope")
	case subtle.ConstantTimeCompare([]byte(scope[0]), []byte(creds.AccessKeyID)) != 1:
		return bad("unknown access key ID")
	case scope[1] != date[:8]:
		return bad("credential date differs from " + amzDate)
	case scope[2] != region:
		return bad("credential scope names region " + strconv.Quote(scope[2]) + ", want " + strconv.Quote(region))
	case scope[3] != SigningService || scope[4] != sigV4Terminator:
		return bad("credential scope is not for " + SigningService)
	}
	if signedHeaders != "host" {
		return bad(amzSignedHeaders + " must be host")
	}
	token, hasToken := q[amzSecurityToken]
	if creds.SessionToken != "" && (len(token) != 1 || subtle.ConstantTimeCompare([]byte(token[0]), []byte(creds.SessionToken)) != 1) {
		return bad("session token missing or wrong")
	}

	key := deriveSigningKey(creds.SecretAccessKey, date[:8], region, SigningService)
	compute := func(withToken bool) string {
		req := sigV4Request{
			method:      "GET",
			path:        WebSocketPath,
			headers:     []sigV4Param{{"host", host}},
			payloadHash: emptyPayloadHash,
		}
		for name, values := range q {
			if name == amzSignature || name == amzSecurityToken && !withToken {
				continue
			}
			for _, v := range values {
				req.query = append(req.query, sigV4Param{name, v})
			}
		}
		creq, _ := req.canonical()
		return signature(key, stringToSign(date, credentialScope(date[:8], region, SigningService), creq))
	}
	if subtle.ConstantTimeCompare([]byte(compute(false)), []byte(sig)) == 1 {
		return nil
	}
	if hasToken && subtle.ConstantTimeCompare([]byte(compute(true)), []byte(sig)) == 1 {
		return nil
	}
	return bad("signature mismatch")
}
