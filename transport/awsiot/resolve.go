package awsiot

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tether-iot/tether/transport"
)

// resolved is a validated Config with its defaults applied.
type resolved struct {
	thing     string
	clientID  string
	topics    Topics
	ignore    bool // PropertiesIgnore
	keepAlive time.Duration
	pubRate   float64 // 0: unlimited
	byteRate  int     // 0: unlimited

	port     int
	addr     string // host:port dialed
	server   string // the URL mqttx reports
	alpn     string // the ALPN protocol required, "" for none
	tls      *tls.Config
	username string
	password string
	signer   *signer // AuthWebSocket only
}

func configError(setting, reason string, err error) error {
	return &transport.ConfigError{Setting: setting, Reason: reason, Err: err}
}

// resolve validates cfg. Every error is a *transport.ConfigError naming
// the field at fault.
func resolve(cfg Config) (*resolved, error) {
	r := &resolved{}
	if err := resolveIdentity(cfg, r); err != nil {
		return nil, err
	}
	if err := resolveEndpoint(cfg, r); err != nil {
		return nil, err
	}
	if err := resolveTLS(cfg, r); err != nil {
		return nil, err
	}
	if err := resolveSession(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// resolveIdentity checks what the Dialect needs: names, topics, limits.
func resolveIdentity(cfg Config, r *resolved) error {
	if err := ValidateThingName(cfg.ThingName); err != nil {
		return configError("ThingName", "invalid", err)
	}
	r.thing = cfg.ThingName
	r.clientID = cfg.ClientID
	if r.clientID == "" {
		r.clientID = cfg.ThingName
	}
	if err := ValidateClientID(r.clientID); err != nil {
		return configError("ClientID", "invalid", err)
	}
	prefix := cfg.TopicPrefix
	if prefix == "" {
		prefix = DefaultTopicPrefix
	}
	topics, err := TopicsWithPrefix(strings.ReplaceAll(prefix, ThingPlaceholder, cfg.ThingName))
	if err != nil {
		return configError("TopicPrefix", "invalid", err)
	}
	r.topics = topics
	switch cfg.Properties {
	case PropertiesReject:
	case PropertiesIgnore:
		r.ignore = true
	default:
		return configError("Properties", "unknown policy "+strconv.Itoa(int(cfg.Properties)), nil)
	}
	switch rate := cfg.PublishRate; {
	case math.IsNaN(rate) || math.IsInf(rate, 0):
		return configError("PublishRate", "not a number of publishes per second", nil)
	case rate == 0:
		r.pubRate = DefaultPublishRate
	case rate > 0:
		r.pubRate = rate
	}
	switch {
	case cfg.ByteRate == 0:
		r.byteRate = DefaultByteRate
	case cfg.ByteRate > 0:
		r.byteRate = cfg.ByteRate
	}
	r.keepAlive = cfg.KeepAlive
	if r.keepAlive == 0 {
		r.keepAlive = DefaultKeepAlive
	}
	if err := ValidateKeepAlive(r.keepAlive); err != nil {
		return configError("KeepAlive", "AWS IoT Core honours 30 s to 1200 s", err)
	}
	return nil
}

// resolveEndpoint checks where and how to connect.
func resolveEndpoint(cfg Config, r *resolved) error {
	if cfg.Endpoint == "" {
		return configError("Endpoint", "required (the account's device data endpoint)", nil)
	}
	if err := validateEndpoint(cfg.Endpoint); err != nil {
		return configError("Endpoint", "want a host name", err)
	}
	if strings.ContainsAny(cfg.Endpoint, ":[]") {
		return configError("Endpoint", "want a host name without port (set Port, or Address to connect elsewhere)", nil)
	}
	r.port = cfg.Port
	switch cfg.Auth {
	case AuthX509:
		if r.port == 0 {
			r.port = PortMQTT
		}
		switch r.port {
		case PortMQTT:
		case PortHTTPS:
			r.alpn = ALPNX509
		default:
			return configError("Port", "AuthX509 connects on 8883, or 443 with ALPN", nil)
		}
	case AuthWebSocket, AuthCustomAuthorizer:
		if r.port == 0 {
			r.port = PortHTTPS
		}
		if r.port != PortHTTPS {
			return configError("Port", cfg.Auth.String()+" connects on port 443 only", nil)
		}
		if cfg.Auth == AuthCustomAuthorizer {
			r.alpn = ALPNCustomAuthorizer
		}
	default:
		return configError("Auth", "unknown method "+strconv.Itoa(int(cfg.Auth)), nil)
	}
	r.addr = net.JoinHostPort(cfg.Endpoint, strconv.Itoa(r.port))
	if cfg.Address != "" {
		host, port, err := net.SplitHostPort(cfg.Address)
		if err != nil || host == "" || port == "" {
			return configError("Address", `want "host:port"`, err)
		}
		r.addr = cfg.Address
	}
	r.server = "tls://" + r.addr
	if cfg.Auth == AuthWebSocket {
		r.server = "wss://" + r.addr + WebSocketPath
	}
	return nil
}

// resolveTLS builds the TLS configuration and the method's credentials.
func resolveTLS(cfg Config, r *resolved) error {
	t := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: cfg.Endpoint,
		RootCAs:    cfg.RootCAs,
	}
	if r.alpn != "" {
		t.NextProtos = []string{r.alpn}
	}
	if t.RootCAs == nil && cfg.CAFile != "" {
		pool, err := loadCAFile(cfg.CAFile)
		if err != nil {
			return err
		}
		t.RootCAs = pool
	}
	switch cfg.Auth {
	case AuthX509:
		if err := clientCertificate(cfg, t); err != nil {
			return err
		}
	case AuthWebSocket:
		s, err := newSigner(cfg, r.addr)
		if err != nil {
			return err
		}
		r.signer = s
	case AuthCustomAuthorizer:
		username, err := cfg.Authorizer.MQTTUsername()
		if err != nil {
			return configError("Authorizer", "invalid", err)
		}
		r.username, r.password = username, cfg.AuthorizerPassword
	}
	r.tls = t
	return nil
}

// clientCertificate sets the X.509 client certificate source on t.
func clientCertificate(cfg Config, t *tls.Config) error {
	files := cfg.CertFile != "" || cfg.KeyFile != ""
	n := 0
	for _, set := range []bool{files, cfg.Certificate != nil, cfg.GetClientCertificate != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return configError("CertFile", "AuthX509 needs the device certificate: CertFile and KeyFile, Certificate or GetClientCertificate", nil)
	case n > 1:
		return configError("Certificate", "set only one of CertFile/KeyFile, Certificate and GetClientCertificate", nil)
	case cfg.Certificate != nil:
		if len(cfg.Certificate.Certificate) == 0 || cfg.Certificate.PrivateKey == nil {
			return configError("Certificate", "needs a certificate and its private key", nil)
		}
		t.Certificates = []tls.Certificate{*cfg.Certificate}
	case cfg.GetClientCertificate != nil:
		t.GetClientCertificate = cfg.GetClientCertificate
	case cfg.CertFile == "":
		return configError("CertFile", "required with KeyFile", nil)
	case cfg.KeyFile == "":
		return configError("KeyFile", "required with CertFile", nil)
	default:
		// Load once now so that a wrong path fails New, then again on every
		// handshake so that a rotated certificate is picked up.
		if _, err := loadKeyPair(cfg.CertFile, cfg.KeyFile); err != nil {
			return err
		}
		certFile, keyFile := cfg.CertFile, cfg.KeyFile
		t.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return loadKeyPair(certFile, keyFile)
		}
	}
	return nil
}

// loadKeyPair reads a PEM certificate and key. Its errors are
// *transport.ConfigError naming the file at fault; they never contain key
// material.
func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, configError("CertFile", "cannot read the certificate", err)
	}
	if !hasParsableCertificate(certPEM) {
		return nil, configError("CertFile", "no PEM certificate in "+certFile, nil)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, configError("KeyFile", "cannot read the private key", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, configError("KeyFile", "no private key in "+keyFile+" matching CertFile", err)
	}
	return &cert, nil
}

// hasParsableCertificate reports whether the first CERTIFICATE block of
// data parses.
func hasParsableCertificate(data []byte) bool {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(block.Bytes)
			return err == nil
		}
	}
}

func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, configError("CAFile", "cannot read", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, configError("CAFile", "no PEM certificate in "+path, nil)
	}
	return pool, nil
}

// resolveSession checks the settings passed through to mqttx.
func resolveSession(cfg Config) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"ConnectTimeout", cfg.ConnectTimeout},
		{"MinBackoff", cfg.MinBackoff},
		{"MaxBackoff", cfg.MaxBackoff},
		{"BackoffResetAfter", cfg.BackoffResetAfter},
	} {
		if d.v < 0 {
			return configError(d.name, "negative", nil)
		}
	}
	if cfg.MinBackoff > 0 && cfg.MaxBackoff > 0 && cfg.MinBackoff > cfg.MaxBackoff {
		return configError("MaxBackoff", "smaller than MinBackoff", nil)
	}
	if cfg.QueueSize < 0 {
		return configError("QueueSize", "negative", nil)
	}
	return nil
}

// regionFromEndpoint returns the region of an AWS IoT data endpoint,
// "{prefix}.iot.{region}.amazonaws.com[.cn]".
func regionFromEndpoint(endpoint string) (string, bool) {
	labels := strings.Split(strings.ToLower(endpoint), ".")
	for i := 0; i+2 < len(labels); i++ {
		if labels[i] == "iot" && labels[i+2] == "amazonaws" && labels[i+1] != "" {
			return labels[i+1], true
		}
	}
	return "", false
}
