package securitytest_test

import (
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/securitytest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// Token lifetime of the Azure sessions: the adapter renews the connection
// after half of it, several times within a test.
const (
	azureTokenTTL     = 2 * time.Second
	azureTokenRenewAt = 0.5
)

// azureRefusedRaw are IoT Hub topics the adapter refuses: another device's
// events, a twin request without $rid, a wildcard.
var azureRefusedRaw = []string{"devices/other/messages/events/", "$iothub/twin/GET/", "devices/dev1/messages/events/+"}

// sasClock is a Config.Clock that remembers every time it gave, so that
// the test can sign the very tokens the adapter signed and look for them.
type sasClock struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *sasClock) now() time.Time {
	// Whole seconds: the token's expiry is then exactly now + TTL.
	t := time.Now().Truncate(time.Second)
	c.mu.Lock()
	c.times = append(c.times, t)
	c.mu.Unlock()
	return t
}

// tokenSecrets returns the signature (and whole token) of every SAS token
// signed for resource with key at the times clock gave.
func (c *sasClock) tokenSecrets(t *testing.T, name, resource string, key []byte) []securitytest.Secret {
	t.Helper()
	c.mu.Lock()
	times := append([]time.Time(nil), c.times...)
	c.mu.Unlock()
	var out []securitytest.Secret
	for _, at := range times {
		tok := azureiot.SASToken(resource, key, "", at.Add(azureTokenTTL))
		_, sig, ok := strings.Cut(tok, "&sig=")
		sig, _, _ = strings.Cut(sig, "&")
		if !ok || len(sig) < 40 {
			t.Fatalf("token %q has no signature", tok)
		}
		decoded, err := url.QueryUnescape(sig)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, securitytest.TextSecret(name+" signature", decoded)...)
		out = append(out, securitytest.TextSecret(name, tok)...)
	}
	return out
}

// keySecretsSAS returns the forms of a shared access key given in base64.
func keySecretsSAS(t *testing.T, name, b64 string) []securitytest.Secret {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return append(securitytest.TextSecret(name+" (base64)", b64), securitytest.BinarySecret(name+" (raw)", raw)...)
}

// azureSession runs the whole session of identity clientID ("dev" or
// "dev/mod"), configured by config with the right key or a wrong one.
func azureSession(t *testing.T, h *azureiottest.Hub, s *session, clientID, resource string, key, wrongKey string,
	config func(log *slog.Logger, key string, clock *sasClock) azureiot.Config) {
	t.Helper()
	goodClock, badClock := &sasClock{}, &sasClock{}
	s.secret(keySecretsSAS(t, "SAS key", key), keySecretsSAS(t, "wrong SAS key", wrongKey))
	s.printed("azureiot.Config", config(nil, key, goodClock))

	s.run(scenario{
		good:       func(log *slog.Logger) (*transport.Conn, error) { return azureiot.New(config(log, key, goodClock)) },
		bad:        func(log *slog.Logger) (*transport.Conn, error) { return azureiot.New(config(log, wrongKey, badClock)) },
		badRefused: true,
		drop:       func() bool { return h.Broker().Disconnect(clientID) },
		renews:     true,
		refused:    commonRefusals, refusedRaw: azureRefusedRaw,
	})
	// The tokens signed during the session, now that they are known.
	goodKey, _ := base64.StdEncoding.DecodeString(key)
	badKey, _ := base64.StdEncoding.DecodeString(wrongKey)
	good, bad := goodClock.tokenSecrets(t, "SAS token", resource, goodKey), badClock.tokenSecrets(t, "wrong SAS token", resource, badKey)
	if len(good) == 0 || len(bad) == 0 {
		t.Fatal("no SAS token was signed")
	}
	s.secret(good, bad)
	s.check()
}

func TestAzureConnectionStringSessionShowsNoSecret(t *testing.T) {
	s := newSession(t)
	h := azureiottest.New(t, azureiottest.WithLogger(s.logger()))
	h.AddDevice("dev1")
	cs, err := h.ConnectionString("dev1")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := azureiot.ParseConnectionString(cs)
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(parsed.SharedAccessKey)
	wrongKey := base64.StdEncoding.EncodeToString(randomBytes(t, 32))
	s.secret(securitytest.TextSecret("connection string", cs))
	s.printed("azureiot.ConnectionString", parsed)
	s.printed("*azureiot.ConnectionString", &parsed)

	withKey := func(k string) string { return strings.Replace(cs, "SharedAccessKey="+key, "SharedAccessKey="+k, 1) }
	if withKey(wrongKey) == cs {
		t.Fatalf("connection string %q does not end with its key", cs)
	}

	// Malformed connection strings fail without showing the key, or a
	// value that may be one.
	malformedKey := key[:len(key)-4] + "*!*="
	s.secret(securitytest.TextSecret("malformed key", malformedKey))
	for _, bad := range []string{
		cs + ";SharedAccessKey=" + wrongKey,                            // duplicate key
		strings.Replace(cs, "SharedAccessKey=", "sharedaccesskey=", 1), // wrong case
		strings.Replace(cs, "SharedAccessKey=", "Key"+wrongKey+"=", 1), // unknown name
		strings.Replace(cs, "SharedAccessKey=", "", 1),                 // a segment without "="
		withKey(malformedKey),                                          // not base64
		cs + ";x509=true",                                              // both key and certificate
	} {
		_, err := azureiot.ParseConnectionString(bad)
		s.err("ParseConnectionString", err)
		if err == nil {
			t.Errorf("ParseConnectionString accepted a malformed string")
		}
		_, err = azureiot.New(azureiot.Config{ConnectionString: bad, Server: h.URL(), RootCAs: h.CA()})
		s.err("New with a malformed connection string", err)
		s.printed("azureiot.Config with a malformed connection string", azureiot.Config{ConnectionString: bad})
	}

	config := func(log *slog.Logger, key string, clock *sasClock) azureiot.Config {
		return azureiot.Config{
			ConnectionString: withKey(key),
			Server:           h.URL(),
			RootCAs:          h.CA(),
			TokenTTL:         azureTokenTTL,
			TokenRenewAt:     azureTokenRenewAt,
			Clock:            clock.now,
			MinBackoff:       10 * time.Millisecond,
			MaxBackoff:       100 * time.Millisecond,
			Logger:           log,
		}
	}
	azureSession(t, h, s, "dev1", parsed.Resource(), key, wrongKey, config)
}

func TestAzureModuleSessionShowsNoSecret(t *testing.T) {
	s := newSession(t)
	h := azureiottest.New(t, azureiottest.WithLogger(s.logger()))
	h.AddDevice("dev1")
	base := h.AddModule("dev1", "mod1")
	key := base.SharedAccessKey
	wrongKey := base64.StdEncoding.EncodeToString(randomBytes(t, 32))

	// A key that is not base64 fails New without showing it.
	notBase64 := "not*base64*" + randomHex(t, 12)
	c := base
	c.SharedAccessKey = notBase64
	_, err := azureiot.New(c)
	s.err("New with a key that is not base64", err)
	s.printed("azureiot.Config with a key that is not base64", c)
	s.secret(securitytest.TextSecret("key that is not base64", notBase64))

	config := func(log *slog.Logger, key string, clock *sasClock) azureiot.Config {
		cfg := base
		cfg.SharedAccessKey = key
		cfg.TokenTTL, cfg.TokenRenewAt, cfg.Clock = azureTokenTTL, azureTokenRenewAt, clock.now
		cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 100*time.Millisecond
		cfg.Logger = log
		return cfg
	}
	azureSession(t, h, s, "dev1/mod1", azureiot.DeviceResource(h.HostName(), "dev1", "mod1"), key, wrongKey, config)
}
