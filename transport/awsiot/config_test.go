package awsiot_test

import (
	"context"
	"crypto/tls"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
)

// testFiles writes a device certificate, its key, another key and the CA
// as PEM files.
type testFiles struct {
	cert, key, otherKey, ca, garbage string
	certificate                      tls.Certificate
}

func writeTestFiles(t *testing.T) testFiles {
	t.Helper()
	ca, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ClientCert("thing1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.ClientCert("thing2")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPEM, _ := testcerts.KeyPEM(cert)
	otherKeyPEM, _ := testcerts.KeyPEM(other)
	return testFiles{
		cert:        write("cert.pem", testcerts.CertPEM(cert)),
		key:         write("key.pem", keyPEM),
		otherKey:    write("other-key.pem", otherKeyPEM),
		ca:          write("ca.pem", ca.PEM()),
		garbage:     write("garbage.pem", []byte("not PEM")),
		certificate: cert,
	}
}

func validConfig(f testFiles) awsiot.Config {
	return awsiot.Config{
		Endpoint:    "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com",
		ThingName:   "thing1",
		Certificate: &f.certificate,
	}
}

func noCredentials(context.Context) (awsiot.Credentials, error) { return awsiot.Credentials{}, nil }

func TestNewConfigErrors(t *testing.T) {
	f := writeTestFiles(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name    string
		edit    func(*awsiot.Config)
		setting string
	}{
		{"no endpoint", func(c *awsiot.Config) { c.Endpoint = "" }, "Endpoint"},
		{"endpoint with scheme", func(c *awsiot.Config) { c.Endpoint = "mqtts://x.example.com" }, "Endpoint"},
		{"endpoint with port", func(c *awsiot.Config) { c.Endpoint = "x.example.com:8883" }, "Endpoint"},
		{"no thing name", func(c *awsiot.Config) { c.ThingName = "" }, "ThingName"},
		{"thing name with slash", func(c *awsiot.Config) { c.ThingName = "a/b" }, "ThingName"},
		{"client id with $", func(c *awsiot.Config) { c.ClientID = "$thing1" }, "ClientID"},
		{"client id too long", func(c *awsiot.Config) { c.ClientID = strings.Repeat("c", 129) }, "ClientID"},
		{"no certificate", func(c *awsiot.Config) { c.Certificate = nil }, "CertFile"},
		{"cert file without key file", func(c *awsiot.Config) { c.Certificate, c.CertFile = nil, f.cert }, "KeyFile"},
		{"key file without cert file", func(c *awsiot.Config) { c.Certificate, c.KeyFile = nil, f.key }, "CertFile"},
		{"missing cert file", func(c *awsiot.Config) { c.Certificate, c.CertFile, c.KeyFile = nil, missing, f.key }, "CertFile"},
		{"missing key file", func(c *awsiot.Config) { c.Certificate, c.CertFile, c.KeyFile = nil, f.cert, missing }, "KeyFile"},
		{"cert file not PEM", func(c *awsiot.Config) { c.Certificate, c.CertFile, c.KeyFile = nil, f.garbage, f.key }, "CertFile"},
		{"key of another certificate", func(c *awsiot.Config) { c.Certificate, c.CertFile, c.KeyFile = nil, f.cert, f.otherKey }, "KeyFile"},
		{"two certificate sources", func(c *awsiot.Config) { c.CertFile, c.KeyFile = f.cert, f.key }, "Certificate"},
		{"certificate without key", func(c *awsiot.Config) { c.Certificate = &tls.Certificate{Certificate: f.certificate.Certificate} }, "Certificate"},
		{"X.509 on port 1883", func(c *awsiot.Config) { c.Port = 1883 }, "Port"},
		{"WebSocket on port 8883", func(c *awsiot.Config) {
			c.Auth, c.Port, c.CredentialsProvider = awsiot.AuthWebSocket, awsiot.PortMQTT, noCredentials
		}, "Port"},
		{"custom authorizer on port 8883", func(c *awsiot.Config) {
			c.Auth, c.Port, c.Authorizer = awsiot.AuthCustomAuthorizer, awsiot.PortMQTT, awsiot.CustomAuthorizer{Name: "a"}
		}, "Port"},
		{"unknown auth method", func(c *awsiot.Config) { c.Auth = 7 }, "Auth"},
		{"address without port", func(c *awsiot.Config) { c.Address = "127.0.0.1" }, "Address"},
		{"WebSocket without credentials", func(c *awsiot.Config) { c.Auth = awsiot.AuthWebSocket }, "CredentialsProvider"},
		{"WebSocket without region", func(c *awsiot.Config) {
			c.Auth, c.Endpoint, c.CredentialsProvider = awsiot.AuthWebSocket, "iot.example.com", noCredentials
		}, "Region"},
		{"WebSocket bad region", func(c *awsiot.Config) {
			c.Auth, c.Region, c.CredentialsProvider = awsiot.AuthWebSocket, "EU_WEST", noCredentials
		}, "Region"},
		{"authorizer without name", func(c *awsiot.Config) { c.Auth = awsiot.AuthCustomAuthorizer }, "Authorizer"},
		{"missing CA file", func(c *awsiot.Config) { c.CAFile = missing }, "CAFile"},
		{"CA file not PEM", func(c *awsiot.Config) { c.CAFile = f.garbage }, "CAFile"},
		{"topic prefix with $", func(c *awsiot.Config) { c.TopicPrefix = "$aws/" }, "TopicPrefix"},
		{"topic prefix with wildcard", func(c *awsiot.Config) { c.TopicPrefix = "a/#/" }, "TopicPrefix"},
		{"keepalive under 30 s", func(c *awsiot.Config) { c.KeepAlive = 10 * time.Second }, "KeepAlive"},
		{"keepalive over 1200 s", func(c *awsiot.Config) { c.KeepAlive = 1201 * time.Second }, "KeepAlive"},
		{"publish rate NaN", func(c *awsiot.Config) { c.PublishRate = math.NaN() }, "PublishRate"},
		{"unknown properties policy", func(c *awsiot.Config) { c.Properties = 9 }, "Properties"},
		{"negative backoff", func(c *awsiot.Config) { c.MinBackoff = -time.Second }, "MinBackoff"},
		{"min backoff over max", func(c *awsiot.Config) { c.MinBackoff, c.MaxBackoff = time.Minute, time.Second }, "MaxBackoff"},
		{"negative queue size", func(c *awsiot.Config) { c.QueueSize = -1 }, "QueueSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig(f)
			tt.edit(&cfg)
			conn, err := awsiot.New(cfg)
			if err == nil {
				_ = conn.Close(context.Background())
				t.Fatalf("New accepted %v", cfg)
			}
			var ce *transport.ConfigError
			if !errors.As(err, &ce) || ce.Setting != tt.setting {
				t.Fatalf("err = %v, want a ConfigError for %s", err, tt.setting)
			}
			if !errors.Is(err, transport.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.setting) {
				t.Fatalf("err = %v: must match ErrInvalidConfig and name %s", err, tt.setting)
			}
		})
	}
}

func TestNewValidConfigs(t *testing.T) {
	f := writeTestFiles(t)
	tests := []struct {
		name string
		edit func(*awsiot.Config)
	}{
		{"X.509 on 8883", func(*awsiot.Config) {}},
		{"X.509 on 443", func(c *awsiot.Config) { c.Port = awsiot.PortHTTPS }},
		{"certificate files", func(c *awsiot.Config) { c.Certificate, c.CertFile, c.KeyFile = nil, f.cert, f.key }},
		{"GetClientCertificate", func(c *awsiot.Config) {
			c.Certificate = nil
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &f.certificate, nil }
		}},
		{"CA file", func(c *awsiot.Config) { c.CAFile = f.ca }},
		{"WebSocket, region from the endpoint", func(c *awsiot.Config) {
			c.Auth, c.CredentialsProvider = awsiot.AuthWebSocket, noCredentials
		}},
		{"custom authorizer", func(c *awsiot.Config) {
			c.Auth, c.Authorizer = awsiot.AuthCustomAuthorizer, awsiot.CustomAuthorizer{Name: "a", TokenKeyName: "token", Token: "t"}
		}},
		{"command scheme prefix", func(c *awsiot.Config) { c.TopicPrefix = "cmd/{thing}/" }},
		{"keepalive bounds", func(c *awsiot.Config) { c.KeepAlive = 30 * time.Second }},
		{"pacing disabled", func(c *awsiot.Config) { c.PublishRate, c.ByteRate = -1, -1 }},
		{"address override", func(c *awsiot.Config) { c.Address = "127.0.0.1:1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig(f)
			tt.edit(&cfg)
			conn, err := awsiot.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if info := conn.Info(); info.Cloud != transport.CloudAWS || info.DeviceID != "thing1" || info.ClientID != "thing1" {
				t.Fatalf("Info = %+v", info)
			}
			if err := conn.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConfigStringRedactsSecrets(t *testing.T) {
	cfg := awsiot.Config{
		Endpoint:           "x.example.com",
		ThingName:          "thing1",
		Auth:               awsiot.AuthCustomAuthorizer,
		Authorizer:         awsiot.CustomAuthorizer{Name: "a", Signature: "SIGSECRET", TokenKeyName: "token", Token: "TOKENSECRET"},
		AuthorizerPassword: "PASSSECRET",
	}
	for _, s := range []string{cfg.String(), cfg.GoString(), cfg.LogValue().String()} {
		for _, secret := range []string{"SIGSECRET", "TOKENSECRET", "PASSSECRET"} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q shows %s", s, secret)
			}
		}
		if !strings.Contains(s, "thing1") {
			t.Fatalf("%q misses the thing", s)
		}
	}
}

func TestAuthMethodString(t *testing.T) {
	for m, want := range map[awsiot.AuthMethod]string{
		awsiot.AuthX509: "AuthX509", awsiot.AuthWebSocket: "AuthWebSocket",
		awsiot.AuthCustomAuthorizer: "AuthCustomAuthorizer", 9: "AuthMethod(9)",
	} {
		if got := m.String(); got != want {
			t.Errorf("%d: %q", int(m), got)
		}
	}
}
