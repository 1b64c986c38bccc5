package securitytest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/securitytest"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

func TestMQTTPasswordSessionShowsNoSecret(t *testing.T) {
	password, wrongPassword := "pw-"+randomHex(t, 16), "pw-"+randomHex(t, 16)
	s := newSession(t)
	b := mqttxtest.NewBroker(t, mqttxtest.WithLogger(s.logger()), mqttxtest.WithTLS(), mqttxtest.WithAuthenticator(func(ci mqttxtest.ConnectInfo) byte {
		if ci.Username == "gw1" && string(ci.Password) == password {
			return mqttx.ConnAccepted
		}
		return mqttx.ConnBadUsernameOrPassword
	}))
	s.secret(securitytest.TextSecret("password", password), securitytest.TextSecret("wrong password", wrongPassword))
	config := func(log *slog.Logger, pw string) mqtt.Config {
		return mqtt.Config{
			Server:     b.TLSURL(),
			DeviceID:   "gw1",
			Username:   "gw1",
			Password:   pw,
			TLSConfig:  b.ClientTLSConfig(),
			MaxPayload: 64 << 10,
			// A renewal, as for a token that expires.
			MaxConnectionAge: 700 * time.Millisecond,
			MinBackoff:       10 * time.Millisecond,
			MaxBackoff:       100 * time.Millisecond,
			Logger:           log,
		}
	}
	cfg := config(nil, password)
	s.printed("mqtt.Config", cfg)
	s.printed("*mqtt.Config", &cfg)
	mustContain(t, "the printed Config", cfg.String(), "gw1") // the username is not secret
	creds := mqtt.Credentials{Username: "gw1", Password: password}
	s.printed("mqtt.Credentials", creds)
	s.printed("*mqtt.Credentials", &creds)
	opts := mqttx.Options{Server: b.TLSURL(), ClientID: "gw1", Username: "gw1", Password: password}
	s.printed("mqttx.Options", opts)
	s.printed("transport.Options", transport.Options{MQTT: opts})

	// Credentials in the server URL are refused without being shown.
	withUser := cfg
	withUser.Server = "tls://gw1:" + password + "@127.0.0.1:8883"
	_, err := mqtt.New(withUser)
	s.err("New with credentials in the URL", err)
	s.printed("mqtt.Config with credentials in the URL", withUser)
	withUser.Server = "tls://gw1:" + password + "@127.0.0.1:8883/%zz" // not a URL
	_, err = mqtt.New(withUser)
	s.err("New with credentials in an invalid URL", err)
	s.printed("mqtt.Config with credentials in an invalid URL", withUser)

	s.run(scenario{
		good:       func(log *slog.Logger) (*transport.Conn, error) { return mqtt.New(config(log, password)) },
		bad:        func(log *slog.Logger) (*transport.Conn, error) { return mqtt.New(config(log, wrongPassword)) },
		badRefused: true,
		drop:       func() bool { return b.Disconnect("gw1") },
		renews:     true,
		refused: append(commonRefusals,
			transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1, Properties: transport.Properties{CorrelationID: "c1"}}),
		refusedRaw: []string{"a/+/b", "", "a/#"},
	})
	s.check()
}

// Credentials from a function (a token that expires) do not show either.
func TestMQTTCredentialsFuncSessionShowsNoSecret(t *testing.T) {
	token, wrongToken := "jwt-"+randomHex(t, 24), "jwt-"+randomHex(t, 24)
	s := newSession(t)
	b := mqttxtest.NewBroker(t, mqttxtest.WithLogger(s.logger()), mqttxtest.WithAuthenticator(func(ci mqttxtest.ConnectInfo) byte {
		if string(ci.Password) == token {
			return mqttx.ConnAccepted
		}
		return mqttx.ConnNotAuthorized
	}))
	s.secret(securitytest.TextSecret("token", token), securitytest.TextSecret("wrong token", wrongToken))
	config := func(log *slog.Logger, tok string) mqtt.Config {
		return mqtt.Config{
			Server:   b.URL(),
			DeviceID: "gw1",
			Credentials: func(context.Context) (mqtt.Credentials, error) {
				return mqtt.Credentials{Username: "gw1", Password: tok}, nil
			},
			MaxConnectionAge: 700 * time.Millisecond,
			MinBackoff:       10 * time.Millisecond,
			MaxBackoff:       100 * time.Millisecond,
			Logger:           log,
		}
	}
	s.printed("mqtt.Config with Credentials", config(nil, token))
	s.run(scenario{
		good:       func(log *slog.Logger) (*transport.Conn, error) { return mqtt.New(config(log, token)) },
		bad:        func(log *slog.Logger) (*transport.Conn, error) { return mqtt.New(config(log, wrongToken)) },
		badRefused: true,
		drop:       func() bool { return b.Disconnect("gw1") },
		renews:     true,
		refused:    commonRefusals[1:],
		refusedRaw: []string{"a/+/b"},
	})
	s.check()
}
