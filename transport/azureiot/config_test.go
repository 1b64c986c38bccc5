package azureiot

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/transport"
)

func keyConfig() Config {
	return Config{HostName: "myhub.azure-devices.net", DeviceID: "dev1", SharedAccessKey: testKeyB64}
}

func TestNewConfigErrors(t *testing.T) {
	cert := tls.Certificate{Certificate: [][]byte{{1}}, PrivateKey: struct{}{}}
	tests := []struct {
		name    string
		mod     func(*Config)
		setting string
	}{
		{"malformed connection string", func(c *Config) {
			*c = Config{ConnectionString: "HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=not*base64"}
		}, "ConnectionString"},
		{"connection string without key", func(c *Config) {
			*c = Config{ConnectionString: "HostName=h.azure-devices.net;DeviceId=d"}
		}, "ConnectionString"},
		{"connection string and HostName", func(c *Config) {
			c.ConnectionString = "HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=" + testKeyB64
			c.DeviceID, c.SharedAccessKey = "", ""
		}, "HostName"},
		{"x509 connection string without certificate", func(c *Config) {
			*c = Config{ConnectionString: "HostName=h.azure-devices.net;DeviceId=d;x509=true"}
		}, "CertFile"},
		{"missing host", func(c *Config) { c.HostName = "" }, "HostName"},
		{"host with a scheme", func(c *Config) { c.HostName = "https://h" }, "HostName"},
		{"missing device", func(c *Config) { c.DeviceID = "" }, "DeviceID"},
		{"invalid device", func(c *Config) { c.DeviceID = "a b" }, "DeviceID"},
		{"wildcard device", func(c *Config) { c.DeviceID = "a+b" }, "DeviceID"},
		{"invalid module", func(c *Config) { c.ModuleID = "m/1" }, "ModuleID"},
		{"model not a DTMI", func(c *Config) { c.ModelID = "thermostat" }, "ModelID"},
		{"invalid gateway", func(c *Config) { c.GatewayHostName = "gw/1" }, "GatewayHostName"},
		{"missing key and certificate", func(c *Config) { c.SharedAccessKey = "" }, "SharedAccessKey"},
		{"key not base64", func(c *Config) { c.SharedAccessKey = "secret!" }, "SharedAccessKey"},
		{"key name without key", func(c *Config) { c.SharedAccessKey, c.SharedAccessKeyName, c.Certificate = "", "policy", &cert }, "SharedAccessKeyName"},
		{"key and certificate", func(c *Config) { c.Certificate = &cert }, "Certificate"},
		{"key and cert file", func(c *Config) { c.CertFile, c.KeyFile = "c.pem", "k.pem" }, "CertFile"},
		{"two certificate sources", func(c *Config) {
			c.SharedAccessKey, c.Certificate = "", &cert
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}, "GetClientCertificate"},
		{"cert file without key file", func(c *Config) { c.SharedAccessKey, c.CertFile = "", "c.pem" }, "KeyFile"},
		{"key file without cert file", func(c *Config) { c.SharedAccessKey, c.KeyFile = "", "k.pem" }, "CertFile"},
		{"missing cert file", func(c *Config) {
			c.SharedAccessKey, c.CertFile, c.KeyFile = "", "/nonexistent/c.pem", "/nonexistent/k.pem"
		}, "CertFile"},
		{"empty certificate", func(c *Config) { c.SharedAccessKey, c.Certificate = "", &tls.Certificate{} }, "Certificate"},
		{"token TTL too short", func(c *Config) { c.TokenTTL = time.Second }, "TokenTTL"},
		{"negative token TTL", func(c *Config) { c.TokenTTL = -time.Hour }, "TokenTTL"},
		{"renew at 1", func(c *Config) { c.TokenRenewAt = 1 }, "TokenRenewAt"},
		{"renew at negative", func(c *Config) { c.TokenRenewAt = -0.5 }, "TokenRenewAt"},
		{"keepalive too long", func(c *Config) { c.KeepAlive = MaxKeepAlive + time.Second }, "KeepAlive"},
		{"keepalive under a second", func(c *Config) { c.KeepAlive = time.Millisecond }, "KeepAlive"},
		{"server not TLS", func(c *Config) { c.Server = "tcp://127.0.0.1:1883" }, "Server"},
		{"server plain websocket", func(c *Config) { c.Server = "ws://127.0.0.1/$iothub/websocket" }, "Server"},
		{"server unknown scheme", func(c *Config) { c.Server = "http://127.0.0.1" }, "Server"},
		{"server without host", func(c *Config) { c.Server = "mqtts://" }, "Server"},
		{"server not a URL", func(c *Config) { c.Server = "mqtts://[::1" }, "Server"},
		{"websocket with a TLS server", func(c *Config) { c.WebSocket, c.Server = true, "tls://127.0.0.1:8883" }, "WebSocket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := keyConfig()
			tt.mod(&cfg)
			conn, err := New(cfg)
			if err == nil {
				t.Fatalf("New succeeded (%v), want a ConfigError for %s", conn.Info(), tt.setting)
			}
			var ce *transport.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New error %v (%T) is not a *transport.ConfigError", err, err)
			}
			if ce.Setting != tt.setting {
				t.Errorf("Setting = %q, want %q (error %v)", ce.Setting, tt.setting, err)
			}
			if !errors.Is(err, transport.ErrInvalidConfig) {
				t.Errorf("errors.Is(%v, transport.ErrInvalidConfig) = false", err)
			}
			if !strings.Contains(err.Error(), tt.setting) {
				t.Errorf("error %q does not name %s", err, tt.setting)
			}
			if strings.Contains(err.Error(), testKeyB64) || strings.Contains(err.Error(), "secret!") {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
}

func TestConnectionStringErrorWrapped(t *testing.T) {
	_, err := New(Config{ConnectionString: "HostName=h.azure-devices.net;DeviceId=d"})
	if !errors.Is(err, ErrInvalidConnectionString) {
		t.Fatalf("errors.Is(%v, ErrInvalidConnectionString) = false", err)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name                         string
		cfg                          Config
		server, serverName, username string
		keepAlive                    time.Duration
		ttl                          time.Duration
		renewAt                      float64
	}{
		{"defaults", keyConfig(),
			"mqtts://myhub.azure-devices.net:8883", "myhub.azure-devices.net",
			"myhub.azure-devices.net/dev1/?api-version=" + APIVersion, DefaultKeepAlive, DefaultTokenTTL, DefaultTokenRenewAt},
		{"websocket", func() Config { c := keyConfig(); c.WebSocket = true; return c }(),
			"wss://myhub.azure-devices.net:443/$iothub/websocket", "myhub.azure-devices.net",
			"myhub.azure-devices.net/dev1/?api-version=" + APIVersion, DefaultKeepAlive, DefaultTokenTTL, DefaultTokenRenewAt},
		{"module with model and gateway", Config{
			ConnectionString: "HostName=myhub.azure-devices.net;DeviceId=dev1;ModuleId=mod1;SharedAccessKey=" + testKeyB64 + ";GatewayHostName=edge.local",
			ModelID:          "dtmi:com:example:Thermostat;1",
			KeepAlive:        MaxKeepAlive, TokenTTL: 10 * time.Minute, TokenRenewAt: 0.5},
			"mqtts://edge.local:8883", "edge.local",
			"myhub.azure-devices.net/dev1/mod1/?api-version=" + APIVersion + "&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1",
			MaxKeepAlive, 10 * time.Minute, 0.5},
		{"server override", func() Config { c := keyConfig(); c.Server = "tls://127.0.0.1:12345"; return c }(),
			"tls://127.0.0.1:12345", "127.0.0.1",
			"myhub.azure-devices.net/dev1/?api-version=" + APIVersion, DefaultKeepAlive, DefaultTokenTTL, DefaultTokenRenewAt},
		{"websocket server override", func() Config {
			c := keyConfig()
			c.WebSocket, c.Server = true, "wss://localhost:1/$iothub/websocket"
			return c
		}(),
			"wss://localhost:1/$iothub/websocket", "localhost",
			"myhub.azure-devices.net/dev1/?api-version=" + APIVersion, DefaultKeepAlive, DefaultTokenTTL, DefaultTokenRenewAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := resolve(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.server != tt.server || r.tls.ServerName != tt.serverName || r.username != tt.username {
				t.Errorf("server %q name %q username %q, want %q %q %q", r.server, r.tls.ServerName, r.username,
					tt.server, tt.serverName, tt.username)
			}
			if r.keepAlive != tt.keepAlive || r.ttl != tt.ttl || r.renewAt != tt.renewAt {
				t.Errorf("keepalive %v ttl %v renewAt %v, want %v %v %v", r.keepAlive, r.ttl, r.renewAt,
					tt.keepAlive, tt.ttl, tt.renewAt)
			}
			if r.tls.MinVersion != tls.VersionTLS12 || r.tls.InsecureSkipVerify {
				t.Errorf("TLS MinVersion %x InsecureSkipVerify %v", r.tls.MinVersion, r.tls.InsecureSkipVerify)
			}
			if r.key == nil || r.tls.GetClientCertificate != nil {
				t.Errorf("key %v, GetClientCertificate set %v: want SAS only", r.key != nil, r.tls.GetClientCertificate != nil)
			}
		})
	}
}

// The certificate files are read again for every handshake: a rotated pair
// is picked up without a restart.
func TestCertFilesReloaded(t *testing.T) {
	ca, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(cn string) {
		t.Helper()
		cert, err := ca.ClientCert(cn)
		if err != nil {
			t.Fatal(err)
		}
		keyPEM, err := testcerts.KeyPEM(cert)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(certFile, testcerts.CertPEM(cert), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	r, err := resolve(Config{HostName: "h.azure-devices.net", DeviceID: "d", CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if r.key != nil {
		t.Fatal("X.509 config has a SAS key")
	}
	for _, cn := range []string{"first", "second"} {
		write(cn)
		c, err := r.tls.GetClientCertificate(&tls.CertificateRequestInfo{})
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if leaf.Subject.CommonName != cn {
			t.Errorf("certificate CN %q, want %q", leaf.Subject.CommonName, cn)
		}
	}
}

func TestConfigStringRedactsKey(t *testing.T) {
	cfgs := []Config{keyConfig(), {ConnectionString: "HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=" + testKeyB64}}
	for _, cfg := range cfgs {
		for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.LogValue().String()} {
			if strings.Contains(s, testKeyB64) {
				t.Errorf("%q contains the key", s)
			}
			if !strings.Contains(s, redacted) {
				t.Errorf("%q does not show the key as redacted", s)
			}
		}
	}
}

func TestSASCredentials(t *testing.T) {
	now := time.Unix(1578938092, 400_000_000)
	m := &sasMinter{
		username: "myiothub.azure-devices.net/my_device/?api-version=" + APIVersion,
		resource: DeviceResource("myiothub.azure-devices.net", "my_device", ""),
		key:      testKey,
		ttl:      time.Hour - 400*time.Millisecond,
		clock:    func() time.Time { return now },
	}
	c, err := m.credentials(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// now + ttl = 1578941692 exactly: the PROTOCOLS.md vector.
	want := "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=6BQpP0VpyZ0mTIlMbvjlP%2FxyeadWxB24Mp9J8uADz8w%3D&se=1578941692"
	if c.Password != want || c.Username != m.username {
		t.Errorf("credentials %q / %q, want %q / %q", c.Username, c.Password, m.username, want)
	}
	// A fractional expiry is rounded up, so the token lives at least ttl.
	m.ttl = time.Hour - 900*time.Millisecond
	c, _ = m.credentials(t.Context())
	if !strings.HasSuffix(c.Password, "&se=1578941692") {
		t.Errorf("password %q: expiry not rounded up to 1578941692", c.Password)
	}
	m.clock = func() time.Time { return time.Unix(3600, 0) }
	_, err = m.credentials(t.Context())
	if !errors.Is(err, ErrClockNotSet) {
		t.Fatalf("credentials with a 1970 clock: %v, want ErrClockNotSet", err)
	}
	if strings.Contains(err.Error(), "SharedAccessSignature") {
		t.Errorf("error %q contains a token", err)
	}
}
