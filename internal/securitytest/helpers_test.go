package securitytest_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/securitytest"
	"github.com/tether-iot/tether/transport"
)

// randomHex returns n random bytes, hex-encoded.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	return hex.EncodeToString(randomBytes(t, n))
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// randomBase64 returns a base64 value of n random bytes, with the "+",
// "/" and "=" that need escaping in URLs (retried until it has them).
func randomBase64(t *testing.T, n int) string {
	t.Helper()
	for {
		s := base64.StdEncoding.EncodeToString(randomBytes(t, n))
		if strings.ContainsAny(s, "+/") && strings.HasSuffix(s, "=") {
			return s
		}
	}
}

// keySecrets returns the forms of a certificate's private key: its PKCS #8
// DER in every encoding, the lines of its PEM body and, for ECDSA, the
// private scalar.
func keySecrets(t *testing.T, name string, cert tls.Certificate) []securitytest.Secret {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	out := securitytest.BinarySecret(name+" (PKCS #8)", der)
	body := strings.Split(strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))), "\n")
	for _, line := range body[1 : len(body)-1] {
		out = append(out, securitytest.Secret{Name: name + " (PEM line)", Value: line})
	}
	if k, ok := cert.PrivateKey.(*ecdsa.PrivateKey); ok {
		d := k.D.FillBytes(make([]byte, (k.Curve.Params().BitSize+7)/8))
		out = append(out, securitytest.BinarySecret(name+" (ECDSA scalar)", d)...)
		out = append(out, securitytest.Secret{Name: name + " (ECDSA scalar, decimal)", Value: k.D.String()})
	}
	return out
}

// tooLarge is a payload over every cloud's limit (AWS 128 KiB, Azure
// 256 KiB) and the plain MQTT test broker's configured one.
var tooLarge = make([]byte, 300<<10)

// commonRefusals are messages every adapter refuses before sending.
var commonRefusals = []transport.Message{
	{Topic: "events", Payload: tooLarge, QoS: 1},
	{Topic: "a/+/b", Payload: []byte("x"), QoS: 1},
	{Topic: "events", Payload: []byte("x"), QoS: 2},
	{Topic: "", Payload: []byte("x")},
}
