package awsiot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// The SigV4 core: canonical request, string to sign, signing key and
// signature, independent of what is being signed. PresignWebSocketURL is
// its one user; the tests pin it to AWS's published examples.

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	sigV4Terminator = "aws4_request"
	// amzDateFormat is SigV4's ISO 8601 basic format, always UTC.
	amzDateFormat = "20060102T150405Z"
	// emptyPayloadHash is hex(SHA-256("")).
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// sigV4Param is a query parameter or header, unencoded.
type sigV4Param struct{ name, value string }

// sigV4Request is what SigV4 signs of an HTTP request.
type sigV4Request struct {
	method      string
	path        string       // canonical URI, already URI-encoded ("/mqtt")
	query       []sigV4Param // unencoded; encoded and sorted by canonicalQuery
	headers     []sigV4Param // the headers to sign; names in any case
	payloadHash string       // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
}

// canonicalQuery encodes every name and value and sorts the pairs by
// encoded name, then value, as SigV4 requires.
func (r *sigV4Request) canonicalQuery() string {
	enc := make([]sigV4Param, len(r.query))
	for i, p := range r.query {
		enc[i] = sigV4Param{uriEncode(p.name), uriEncode(p.value)}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].name != enc[j].name {
			return enc[i].name < enc[j].name
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalHeaders returns the canonical headers block (each "name:value\n")
// and the signed-headers list ("host;x-amz-date"). Names are lower-cased,
// values trimmed with inner runs of spaces collapsed, duplicates joined
// with ",".
func (r *sigV4Request) canonicalHeaders() (block, signed string) {
	byName := make(map[string][]string, len(r.headers))
	names := make([]string, 0, len(r.headers))
	for _, h := range r.headers {
		n := strings.ToLower(h.name)
		if _, seen := byName[n]; !seen {
			names = append(names, n)
		}
		byName[n] = append(byName[n], strings.Join(strings.Fields(h.value), " "))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.Join(byName[n], ","))
		b.WriteByte('\n')
	}
	return b.String(), strings.Join(names, ";")
}

// canonical returns the canonical request and the signed-headers list.
func (r *sigV4Request) canonical() (creq, signedHeaders string) {
	block, signed := r.canonicalHeaders()
	creq = strings.Join([]string{
		r.method,
		r.path,
		r.canonicalQuery(),
		block,
		signed,
		r.payloadHash,
	}, "\n")
	return creq, signed
}

// credentialScope is "{date}/{region}/{service}/aws4_request".
func credentialScope(date, region, service string) string {
	return date + "/" + region + "/" + service + "/" + sigV4Terminator
}

// stringToSign is the algorithm, the request time, the scope and the hex
// SHA-256 of the canonical request, one per line.
func stringToSign(amzDate, scope, creq string) string {
	sum := sha256.Sum256([]byte(creq))
	return sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// deriveSigningKey is HMAC("AWS4"+secret, date) → region → service →
// "aws4_request".
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigV4Terminator)
}

// signature is the hex HMAC-SHA256 of the string to sign under the signing
// key.
func signature(signingKey []byte, sts string) string {
	return hex.EncodeToString(hmacSHA256(signingKey, sts))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
