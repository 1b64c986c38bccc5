package mqttx

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// ErrInsecureTLS: a TLS configuration given to New (Options.TLSConfig) or
// DialServer would skip the verification of the server's certificate, or
// allow a TLS version below 1.2.
var ErrInsecureTLS = errors.New("mqttx: insecure TLS configuration")

// checkTLS refuses a configuration with InsecureSkipVerify, unless
// VerifyPeerCertificate or VerifyConnection verifies the server instead
// (certificate pinning), or with a MinVersion below TLS 1.2. nil is the
// default configuration, which is safe.
func checkTLS(c *tls.Config) error {
	switch {
	case c == nil:
		return nil
	case c.InsecureSkipVerify && c.VerifyPeerCertificate == nil && c.VerifyConnection == nil:
		return fmt.Errorf("%w: InsecureSkipVerify disables the server's verification (trust its CA with RootCAs instead)", ErrInsecureTLS)
	case c.MinVersion != 0 && c.MinVersion < tls.VersionTLS12:
		return fmt.Errorf("%w: MinVersion below TLS 1.2", ErrInsecureTLS)
	}
	return nil
}
