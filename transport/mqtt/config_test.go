package mqtt_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

func validConfig() mqtt.Config {
	return mqtt.Config{Server: "tcp://127.0.0.1:1883", DeviceID: "gw-7"}
}

func TestNewConfigErrors(t *testing.T) {
	dial := func(context.Context) (net.Conn, error) { return nil, errors.New("unused") }
	creds := func(context.Context) (mqtt.Credentials, error) { return mqtt.Credentials{}, nil }
	for _, tc := range []struct {
		name    string
		mutate  func(*mqtt.Config)
		setting string
	}{
		{"no server", func(c *mqtt.Config) { c.Server = "" }, "Server"},
		{"bad scheme", func(c *mqtt.Config) { c.Server = "http://127.0.0.1:1883" }, "Server"},
		{"no host", func(c *mqtt.Config) { c.Server = "tcp://:1883" }, "Server"},
		{"not a URL", func(c *mqtt.Config) { c.Server = "tcp://127.0.0.1:port\x7f" }, "Server"},
		{"credentials in URL", func(c *mqtt.Config) { c.Server = "tcp://user:secret@127.0.0.1:1883" }, "Server"},
		{"no device", func(c *mqtt.Config) { c.DeviceID = "" }, "DeviceID"},
		{"device with slash", func(c *mqtt.Config) { c.DeviceID = "a/b" }, "DeviceID"},
		{"device with wildcard", func(c *mqtt.Config) { c.DeviceID = "a+" }, "DeviceID"},
		{"device with hash", func(c *mqtt.Config) { c.DeviceID = "#" }, "DeviceID"},
		{"device with NUL", func(c *mqtt.Config) { c.DeviceID = "a\x00" }, "DeviceID"},
		{"device not UTF-8", func(c *mqtt.Config) { c.DeviceID = "\xff" }, "DeviceID"},
		{"device too long", func(c *mqtt.Config) { c.DeviceID = strings.Repeat("d", 65535) }, "DeviceID"},
		{"client ID NUL", func(c *mqtt.Config) { c.ClientID = "a\x00b" }, "ClientID"},
		{"client ID not UTF-8", func(c *mqtt.Config) { c.ClientID = "\xc3\x28" }, "ClientID"},
		{"client ID too long", func(c *mqtt.Config) { c.ClientID = strings.Repeat("c", 65536) }, "ClientID"},
		{"prefix without slash", func(c *mqtt.Config) { c.TopicPrefix = "{device}" }, "TopicPrefix"},
		{"prefix wildcard", func(c *mqtt.Config) { c.TopicPrefix = "+/{device}/" }, "TopicPrefix"},
		{"prefix dollar", func(c *mqtt.Config) { c.TopicPrefix = "$SYS/{device}/" }, "TopicPrefix"},
		{"prefix NUL", func(c *mqtt.Config) { c.TopicPrefix = "a\x00/" }, "TopicPrefix"},
		{"prefix not UTF-8", func(c *mqtt.Config) { c.TopicPrefix = "\xff/" }, "TopicPrefix"},
		{"properties policy", func(c *mqtt.Config) { c.Properties = 7 }, "Properties"},
		{"negative max payload", func(c *mqtt.Config) { c.MaxPayload = -1 }, "MaxPayload"},
		{"negative max subscriptions", func(c *mqtt.Config) { c.MaxSubscriptions = -1 }, "MaxSubscriptions"},
		{"negative publish rate", func(c *mqtt.Config) { c.PublishRate = -1 }, "PublishRate"},
		{"NaN publish rate", func(c *mqtt.Config) { c.PublishRate = math.NaN() }, "PublishRate"},
		{"infinite publish rate", func(c *mqtt.Config) { c.PublishRate = math.Inf(1) }, "PublishRate"},
		{"negative byte rate", func(c *mqtt.Config) { c.ByteRate = -1 }, "ByteRate"},
		{"password without user", func(c *mqtt.Config) { c.Password = "secret" }, "Password"},
		{"credentials and user", func(c *mqtt.Config) { c.Username, c.Credentials = "u", creds }, "Credentials"},
		{"TLS on tcp", func(c *mqtt.Config) { c.TLSConfig = &tls.Config{} }, "TLSConfig"},
		{"TLS on ws", func(c *mqtt.Config) { c.Server, c.TLSConfig = "ws://127.0.0.1/mqtt", &tls.Config{} }, "TLSConfig"},
		{"TLS with Dial", func(c *mqtt.Config) { c.Server, c.Dial, c.TLSConfig = "", dial, &tls.Config{} }, "TLSConfig"},
		{"insecure TLS", func(c *mqtt.Config) {
			c.Server, c.TLSConfig = "tls://127.0.0.1:8883", &tls.Config{InsecureSkipVerify: true}
		}, "TLSConfig"},
		{"TLS 1.1", func(c *mqtt.Config) {
			c.Server, c.TLSConfig = "mqtts://127.0.0.1:8883", &tls.Config{MinVersion: tls.VersionTLS11}
		}, "TLSConfig"},
		{"negative keepalive", func(c *mqtt.Config) { c.KeepAlive = -time.Second }, "KeepAlive"},
		{"keepalive too long", func(c *mqtt.Config) { c.KeepAlive = 65536 * time.Second }, "KeepAlive"},
		{"keepalive below 1s", func(c *mqtt.Config) { c.KeepAlive = 500 * time.Millisecond }, "KeepAlive"},
		{"negative max age", func(c *mqtt.Config) { c.MaxConnectionAge = -1 }, "MaxConnectionAge"},
		{"negative connect timeout", func(c *mqtt.Config) { c.ConnectTimeout = -1 }, "ConnectTimeout"},
		{"negative min backoff", func(c *mqtt.Config) { c.MinBackoff = -1 }, "MinBackoff"},
		{"negative max backoff", func(c *mqtt.Config) { c.MaxBackoff = -1 }, "MaxBackoff"},
		{"max below min backoff", func(c *mqtt.Config) { c.MinBackoff, c.MaxBackoff = 2*time.Second, time.Second }, "MaxBackoff"},
		{"negative backoff reset", func(c *mqtt.Config) { c.BackoffResetAfter = -1 }, "BackoffResetAfter"},
		{"negative filters per subscribe", func(c *mqtt.Config) { c.MaxFiltersPerSubscribe = -1 }, "MaxFiltersPerSubscribe"},
		{"negative queue size", func(c *mqtt.Config) { c.QueueSize = -1 }, "QueueSize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			conn, err := mqtt.New(cfg)
			if conn != nil {
				t.Fatalf("New returned a transport despite %v", err)
			}
			var ce *transport.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New = %v, want a *transport.ConfigError", err)
			}
			if ce.Setting != tc.setting {
				t.Errorf("Setting = %q, want %q (%v)", ce.Setting, tc.setting, err)
			}
			if !errors.Is(err, transport.ErrInvalidConfig) {
				t.Errorf("%v does not match transport.ErrInvalidConfig", err)
			}
			for _, secret := range []string{"secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestNewValidConfigs(t *testing.T) {
	dial := func(context.Context) (net.Conn, error) { return nil, errors.New("unused") }
	creds := func(context.Context) (mqtt.Credentials, error) { return mqtt.Credentials{}, nil }
	verify := func([][]byte, [][]*x509.Certificate) error { return nil }
	for _, tc := range []struct {
		name   string
		mutate func(*mqtt.Config)
	}{
		{"defaults", func(*mqtt.Config) {}},
		{"mqtt scheme", func(c *mqtt.Config) { c.Server = "mqtt://localhost" }},
		{"upper-case scheme", func(c *mqtt.Config) { c.Server = "TCP://127.0.0.1:1883" }},
		{"ipv6", func(c *mqtt.Config) { c.Server = "tcp://[::1]:1883" }},
		{"websocket", func(c *mqtt.Config) { c.Server = "ws://127.0.0.1:8080/mqtt" }},
		{"TLS default", func(c *mqtt.Config) { c.Server = "tls://127.0.0.1:8883" }},
		{"TLS config", func(c *mqtt.Config) {
			c.Server, c.TLSConfig = "ssl://127.0.0.1:8883", &tls.Config{RootCAs: x509.NewCertPool()}
		}},
		{"wss", func(c *mqtt.Config) {
			c.Server, c.TLSConfig = "wss://127.0.0.1/mqtt", &tls.Config{MinVersion: tls.VersionTLS13}
		}},
		{"pinning verifies itself", func(c *mqtt.Config) {
			c.Server, c.TLSConfig = "tls://127.0.0.1:8883", &tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: verify}
		}},
		{"dial only", func(c *mqtt.Config) { c.Server, c.Dial = "", dial }},
		{"user and password", func(c *mqtt.Config) { c.Username, c.Password = "u", "p" }},
		{"user without password", func(c *mqtt.Config) { c.Username = "u" }},
		{"credentials", func(c *mqtt.Config) { c.Credentials = creds }},
		{"custom prefix", func(c *mqtt.Config) { c.TopicPrefix = "plant-3/gateways/{device}/" }},
		{"literal prefix", func(c *mqtt.Config) { c.TopicPrefix = "/site/" }},
		{"everything tuned", func(c *mqtt.Config) {
			c.ClientID, c.AllowQoS2, c.Properties = "client", true, mqtt.PropertiesIgnore
			c.MaxPayload, c.MaxSubscriptions, c.PublishRate, c.ByteRate = 1<<20, 50, 100, 1<<16
			c.KeepAlive, c.MaxConnectionAge, c.PersistentSession = 30*time.Second, time.Hour, true
			c.ConnectTimeout, c.MinBackoff, c.MaxBackoff, c.BackoffResetAfter = time.Second, time.Second, time.Minute, time.Minute
			c.MaxFiltersPerSubscribe, c.QueueSize, c.Logger = 4, 16, slog.New(slog.DiscardHandler)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			conn, err := mqtt.New(cfg)
			if err != nil {
				t.Fatalf("New = %v", err)
			}
			if conn == nil {
				t.Fatal("New returned nil")
			}
		})
	}
}

// The caller's tls.Config is not modified (it is cloned before TLS 1.2 is
// set as the minimum).
func TestNewDoesNotModifyTLSConfig(t *testing.T) {
	tc := &tls.Config{RootCAs: x509.NewCertPool()}
	cfg := validConfig()
	cfg.Server, cfg.TLSConfig = "tls://127.0.0.1:8883", tc
	if _, err := mqtt.New(cfg); err != nil {
		t.Fatal(err)
	}
	if tc.MinVersion != 0 {
		t.Errorf("MinVersion changed to %x", tc.MinVersion)
	}
}

func TestConfigStringRedactsPassword(t *testing.T) {
	cfg := validConfig()
	cfg.Username, cfg.Password = "plant", "hunter2-secret"
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.LogValue().String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%q reveals the password", s)
		}
		if !strings.Contains(s, "Username=plant") || !strings.Contains(s, "Password=REDACTED") {
			t.Errorf("%q: want the user name and a redacted password", s)
		}
	}
}

func TestConfigStringRedactsServerUserInfo(t *testing.T) {
	cfg := validConfig()
	cfg.Server = "tcp://plant:hunter2@127.0.0.1:1883"
	if s := cfg.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "127.0.0.1:1883") {
		t.Errorf("%q: want the server without its password", s)
	}
	_, err := mqtt.New(cfg)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("New = %v, want an error without the password", err)
	}
}

func TestPropertiesPolicyString(t *testing.T) {
	for p, want := range map[mqtt.PropertiesPolicy]string{
		mqtt.PropertiesReject: "PropertiesReject",
		mqtt.PropertiesIgnore: "PropertiesIgnore",
		9:                     "PropertiesPolicy(9)",
	} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(p), got, want)
		}
	}
}
