package securitytest_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/securitytest"
	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// awsRefusals adds AWS's own limits to commonRefusals.
var awsRefusals = append(append([]transport.Message(nil), commonRefusals...),
	transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1, Properties: transport.Properties{CorrelationID: "c1"}},
)

// awsRefusedRaw are AWS topics the adapter refuses: too many slashes, a
// wildcard, a reserved topic of another thing's shadow is allowed by the
// rules, so it is not here.
var awsRefusedRaw = []string{"a/b/c/d/e/f/g/h/i/j", "thing1/+", ""}

func TestAWSX509SessionShowsNoSecret(t *testing.T) {
	s := newSession(t)
	e := awsiottest.New(t, awsiottest.WithLogger(s.logger()))
	dir := t.TempDir()
	certFile, keyFile, err := e.WriteCertificateFiles(dir, "thing1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := loadPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s.secret(keySecrets(t, "device private key", pair))
	otherCA, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := otherCA.ClientCert("thing1")
	if err != nil {
		t.Fatal(err)
	}
	s.secret(keySecrets(t, "wrong device private key", wrong))

	files := func(log *slog.Logger) awsiot.Config {
		cfg := e.DeviceConfig("thing1")
		cfg.Certificate, cfg.CertFile, cfg.KeyFile = nil, certFile, keyFile
		cfg.Logger = log
		return cfg
	}
	inMemory := func(log *slog.Logger) awsiot.Config {
		cfg := e.DeviceConfig("thing1")
		cfg.Certificate = &wrong
		cfg.Logger = log
		return cfg
	}
	s.printed("awsiot.Config with CertFile", files(nil))
	s.printed("awsiot.Config with Certificate", inMemory(nil))
	// A key file that is not there, or not a key, fails New: the error
	// names the file, not its content.
	bad := files(nil)
	bad.KeyFile = certFile
	_, err = awsiot.New(bad)
	s.err("New with the certificate as key file", err)
	bad.CertFile = keyFile
	_, err = awsiot.New(bad)
	s.err("New with the key as certificate file", err)

	s.run(scenario{
		good:    func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(files(log)) },
		bad:     func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(inMemory(log)) },
		drop:    func() bool { return e.Broker().Disconnect("thing1") },
		refused: awsRefusals, refusedRaw: awsRefusedRaw,
	})
	s.check()
}

func TestAWSWebSocketSessionShowsNoSecret(t *testing.T) {
	s := newSession(t)
	e := awsiottest.New(t, awsiottest.WithLogger(s.logger()))
	creds := e.Credentials()
	wrong := creds
	wrong.SecretAccessKey = randomHex(t, 20)
	// A fixed signing time makes every attempt's signature known here.
	now := time.Now()
	for _, c := range []awsiot.Credentials{creds, wrong} {
		s.secret(securitytest.TextSecret("secret access key", c.SecretAccessKey),
			securitytest.TextSecret("session token", c.SessionToken))
		u, err := awsiot.PresignWebSocketURL(e.Address(), awsiottest.Region, c, now)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		sig := parsed.Query().Get("X-Amz-Signature")
		if len(sig) != 64 {
			t.Fatalf("signature %q", sig)
		}
		s.secret(securitytest.TextSecret("SigV4 signature", sig), securitytest.TextSecret("presigned URL", u))
	}
	config := func(log *slog.Logger, c awsiot.Credentials) awsiot.Config {
		cfg := e.DeviceConfig("thing1")
		cfg.Auth, cfg.Certificate = awsiot.AuthWebSocket, nil
		cfg.CredentialsProvider = func(ctx context.Context) (awsiot.Credentials, error) {
			s.printed("credentials provided", c) // as a user's provider might log them
			return c, ctx.Err()
		}
		cfg.Clock = func() time.Time { return now }
		cfg.Logger = log
		return cfg
	}
	s.printed("awsiot.Config with AuthWebSocket", config(nil, creds))
	s.printed("awsiot.Credentials", creds)
	s.printed("*awsiot.Credentials", &creds)
	// Credentials a provider fails to fill in.
	_, err := awsiot.PresignWebSocketURL(e.Address(), awsiottest.Region, awsiot.Credentials{AccessKeyID: creds.AccessKeyID, SessionToken: creds.SessionToken}, now)
	s.err("PresignWebSocketURL without a secret", err)

	s.run(scenario{
		good:    func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(config(log, creds)) },
		bad:     func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(config(log, wrong)) },
		drop:    func() bool { return e.Broker().Disconnect("thing1") },
		refused: awsRefusals, refusedRaw: awsRefusedRaw,
	})
	s.check()
}

func TestAWSCustomAuthorizerSessionShowsNoSecret(t *testing.T) {
	token, signature, password := "tok-"+randomHex(t, 16), randomBase64(t, 32), "pw-"+randomHex(t, 16)
	wrongToken := "tok-" + randomHex(t, 16)
	s := newSession(t)
	e := awsiottest.New(t, awsiottest.WithLogger(s.logger()),
		awsiottest.WithCustomAuthorizer("tether-auth", "token", func(r awsiottest.AuthorizerRequest) bool {
			return r.Token == token && r.Signature == signature && string(r.Password) == password
		}))
	s.secret(securitytest.TextSecret("authorizer token", token),
		securitytest.TextSecret("authorizer token signature", signature),
		securitytest.TextSecret("authorizer password", password),
		securitytest.TextSecret("wrong authorizer token", wrongToken))
	config := func(log *slog.Logger, tok string) awsiot.Config {
		cfg := e.DeviceConfig("thing1")
		cfg.Auth, cfg.Certificate = awsiot.AuthCustomAuthorizer, nil
		cfg.Authorizer = awsiot.CustomAuthorizer{Name: "tether-auth", Signature: signature, TokenKeyName: "token", Token: tok, Username: "gw1"}
		cfg.AuthorizerPassword = password
		cfg.Logger = log
		return cfg
	}
	cfg := config(nil, token)
	s.printed("awsiot.Config with AuthCustomAuthorizer", cfg)
	s.printed("awsiot.CustomAuthorizer", cfg.Authorizer)
	s.printed("*awsiot.CustomAuthorizer", &cfg.Authorizer)
	mustContain(t, "the printed Config", cfg.String(), "tether-auth", "gw1")
	// Invalid authorizers fail New without showing the token.
	for _, a := range []awsiot.CustomAuthorizer{
		{Name: "tether-auth", Signature: signature},                                 // a signature without a token
		{Name: "tether-auth", Token: token},                                         // a token without its key name
		{Name: "tether-auth", TokenKeyName: "token", Token: token, Username: "a?b"}, // "?" in the username
		{Name: "tether-auth", TokenKeyName: "token", Token: token + strings.Repeat("x", 70000)},
	} {
		c := cfg
		c.Authorizer = a
		_, err := awsiot.New(c)
		s.err("New with an invalid authorizer", err)
		if err == nil {
			t.Errorf("New accepted the authorizer %v", a)
		}
	}

	s.run(scenario{
		good:       func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(config(log, token)) },
		bad:        func(log *slog.Logger) (*transport.Conn, error) { return awsiot.New(config(log, wrongToken)) },
		badRefused: true,
		drop:       func() bool { return e.Broker().Disconnect("thing1") },
		refused:    awsRefusals, refusedRaw: awsRefusedRaw,
	})
	s.check()
}

// loadPair reads a certificate and key written by the emulator.
func loadPair(certFile, keyFile string) (tls.Certificate, error) {
	return tls.LoadX509KeyPair(certFile, keyFile)
}
