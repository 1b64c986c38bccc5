package mqttxtest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/tether-iot/tether/internal/testcerts"
)

// ensureCA creates the broker's CA on first use. Callers hold b.mu.
func (b *Broker) ensureCALocked() (*testcerts.CA, error) {
	if b.ca != nil {
		return b.ca, nil
	}
	ca, err := testcerts.NewCA()
	if err != nil {
		return nil, fmt.Errorf("mqttxtest: %w", err)
	}
	b.ca = ca
	return ca, nil
}

// serverTLSConfig builds the listeners' TLS configuration with a freshly issued server certificate.
func (b *Broker) serverTLSConfig() (*tls.Config, error) {
	b.mu.Lock()
	ca, err := b.ensureCALocked()
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cert, err := ca.ServerCert("localhost", "127.0.0.1", "::1")
	if err != nil {
		return nil, fmt.Errorf("mqttxtest: server certificate: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    ca.Pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
	if b.cfg.clientCertAuth {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// CA returns a pool holding the broker's CA certificate: trust it to verify the broker's server
// certificate (valid for ServerName "localhost" and the IP addresses 127.0.0.1 and ::1). The CA is
// created on first use when no TLS listener was configured. It returns nil if the CA cannot be created.
func (b *Broker) CA() *x509.CertPool {
	b.mu.Lock()
	defer b.mu.Unlock()
	ca, err := b.ensureCALocked()
	if err != nil {
		return nil
	}
	return ca.Pool()
}

// ClientTLSConfig returns a new client configuration trusting the broker's CA, with ServerName
// "localhost" and MinVersion TLS 1.2. Add a certificate from IssueClientCert for mutual TLS.
func (b *Broker) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: b.CA(), ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// IssueClientCert issues a client certificate signed by the broker's CA, with commonName as its
// subject common name (AWS and Azure identify X.509 devices by it).
func (b *Broker) IssueClientCert(commonName string) (tls.Certificate, error) {
	b.mu.Lock()
	ca, err := b.ensureCALocked()
	b.mu.Unlock()
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := ca.ClientCert(commonName)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mqttxtest: client certificate: %w", err)
	}
	return cert, nil
}
