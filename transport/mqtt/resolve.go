package mqtt

import (
	"crypto/tls"
	"errors"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tether-iot/tether/transport"
)

// resolved is a validated Config with its defaults applied.
type resolved struct {
	deviceID string
	clientID string
	prefix   string
	maxQoS   byte
	ignore   bool // PropertiesIgnore
	limits   transport.Limits
	tls      *tls.Config // a clone, nil for the default
}

func configError(setting, reason string) error {
	return &transport.ConfigError{Setting: setting, Reason: reason}
}

// resolve validates cfg. Every error is a *transport.ConfigError naming the
// field at fault.
func resolve(cfg Config) (*resolved, error) {
	r, err := resolveDialect(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkServer(cfg); err != nil {
		return nil, err
	}
	if r.tls, err = checkTLS(cfg); err != nil {
		return nil, err
	}
	if err := checkCredentials(cfg); err != nil {
		return nil, err
	}
	if err := checkTimings(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// resolveDialect checks what the Dialect needs: identity, topics, limits.
func resolveDialect(cfg Config) (*resolved, error) {
	if err := checkDeviceID(cfg.DeviceID); err != nil {
		return nil, err
	}
	r := &resolved{deviceID: cfg.DeviceID, clientID: cfg.ClientID, maxQoS: DefaultMaxQoS}
	if r.clientID == "" {
		r.clientID = cfg.DeviceID
	}
	switch {
	case len(r.clientID) > MaxTopicLength:
		return nil, configError("ClientID", "longer than 65535 bytes")
	case !utf8.ValidString(r.clientID):
		return nil, configError("ClientID", "not UTF-8")
	case strings.IndexByte(r.clientID, 0) >= 0:
		return nil, configError("ClientID", "contains NUL")
	}

	prefix := cfg.TopicPrefix
	if prefix == "" {
		prefix = DefaultTopicPrefix
	}
	prefix = strings.ReplaceAll(prefix, DevicePlaceholder, cfg.DeviceID)
	switch {
	case !utf8.ValidString(prefix):
		return nil, configError("TopicPrefix", "not UTF-8")
	case strings.ContainsAny(prefix, "+#\x00"):
		return nil, configError("TopicPrefix", "contains a wildcard (+, #) or NUL")
	case strings.HasPrefix(prefix, "$"):
		return nil, configError("TopicPrefix", "starts with $ (reserved for the broker's own topics)")
	case !strings.HasSuffix(prefix, "/"):
		return nil, configError("TopicPrefix", `must end with "/"`)
	case len(prefix) >= MaxTopicLength:
		return nil, configError("TopicPrefix", "too long for an MQTT topic")
	}
	r.prefix = prefix

	switch cfg.Properties {
	case PropertiesReject:
	case PropertiesIgnore:
		r.ignore = true
	default:
		return nil, configError("Properties", "unknown policy "+cfg.Properties.String())
	}
	if cfg.AllowQoS2 {
		r.maxQoS = 2
	}

	switch {
	case cfg.MaxPayload < 0:
		return nil, configError("MaxPayload", "negative")
	case cfg.MaxSubscriptions < 0:
		return nil, configError("MaxSubscriptions", "negative")
	case cfg.PublishRate < 0 || math.IsNaN(cfg.PublishRate) || math.IsInf(cfg.PublishRate, 0):
		return nil, configError("PublishRate", "must be a positive number of publishes per second, or 0 for no pacing")
	case cfg.ByteRate < 0:
		return nil, configError("ByteRate", "negative")
	}
	r.limits = transport.Limits{
		MaxSubscriptions: cfg.MaxSubscriptions,
		PublishRate:      cfg.PublishRate,
		ByteRate:         cfg.ByteRate,
		MaxPayload:       cfg.MaxPayload,
	}
	return r, nil
}

// checkDeviceID checks that id can be one topic level.
func checkDeviceID(id string) error {
	switch {
	case id == "":
		return configError("DeviceID", "required")
	case !utf8.ValidString(id):
		return configError("DeviceID", "not UTF-8")
	case strings.ContainsAny(id, "/+#\x00"):
		return configError("DeviceID", `contains "/", a wildcard (+, #) or NUL: it must be usable as one topic level`)
	case len(id) >= MaxTopicLength:
		return configError("DeviceID", "too long for an MQTT topic")
	}
	return nil
}

// tlsSchemes are the Server schemes that use TLS, plainSchemes the others.
var (
	tlsSchemes   = map[string]bool{"tls": true, "ssl": true, "mqtts": true, "wss": true}
	plainSchemes = map[string]bool{"tcp": true, "mqtt": true, "ws": true}
)

func checkServer(cfg Config) error {
	if cfg.Server == "" {
		if cfg.Dial == nil {
			return configError("Server", "required (or set Dial)")
		}
		return nil
	}
	u, err := url.Parse(cfg.Server)
	if err != nil {
		// url.Error quotes the URL, which may hold user:password: keep only
		// the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &transport.ConfigError{Setting: "Server", Reason: "not a URL", Err: err}
	}
	switch {
	case !tlsSchemes[u.Scheme] && !plainSchemes[u.Scheme]:
		return configError("Server", "scheme must be tcp, mqtt, tls, ssl, mqtts, ws or wss")
	case u.Hostname() == "":
		return configError("Server", "no host")
	case u.User != nil:
		return configError("Server", "must not hold credentials: use Username and Password")
	}
	return nil
}

// checkTLS returns a clone of cfg.TLSConfig with MinVersion at least TLS
// 1.2, or an error if it would weaken verification or is unused.
func checkTLS(cfg Config) (*tls.Config, error) {
	tc := cfg.TLSConfig
	if tc == nil {
		return nil, nil
	}
	switch {
	case cfg.Dial != nil:
		return nil, configError("TLSConfig", "unused when Dial is set: Dial must do the TLS handshake itself")
	case cfg.Server != "" && !tlsSchemes[schemeOf(cfg.Server)]:
		return nil, configError("TLSConfig", "set, but the Server URL does not use TLS (use tls://, mqtts:// or wss://)")
	case tc.InsecureSkipVerify && tc.VerifyPeerCertificate == nil && tc.VerifyConnection == nil:
		return nil, configError("TLSConfig", "InsecureSkipVerify disables server verification: set RootCAs to trust the broker's CA instead")
	case tc.MinVersion != 0 && tc.MinVersion < tls.VersionTLS12:
		return nil, configError("TLSConfig", "MinVersion below TLS 1.2")
	}
	tc = tc.Clone()
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc, nil
}

func schemeOf(server string) string {
	scheme, _, _ := strings.Cut(server, "://")
	return strings.ToLower(scheme)
}

func checkCredentials(cfg Config) error {
	switch {
	case cfg.Credentials != nil && (cfg.Username != "" || cfg.Password != ""):
		return configError("Credentials", "set together with Username or Password: give one or the other")
	case cfg.Password != "" && cfg.Username == "":
		return configError("Password", "requires Username (MQTT 3.1.1 §3.1.2.9)")
	}
	return nil
}

func checkTimings(cfg Config) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"KeepAlive", cfg.KeepAlive}, {"MaxConnectionAge", cfg.MaxConnectionAge},
		{"ConnectTimeout", cfg.ConnectTimeout}, {"MinBackoff", cfg.MinBackoff},
		{"MaxBackoff", cfg.MaxBackoff}, {"BackoffResetAfter", cfg.BackoffResetAfter},
	} {
		if d.v < 0 {
			return configError(d.name, "negative")
		}
	}
	switch {
	case cfg.KeepAlive > 65535*time.Second:
		return configError("KeepAlive", "above 65535 s, the most MQTT can encode")
	case cfg.KeepAlive > 0 && cfg.KeepAlive < time.Second:
		return configError("KeepAlive", "below 1 s (MQTT counts whole seconds)")
	case cfg.MaxBackoff > 0 && cfg.MaxBackoff < cfg.MinBackoff:
		return configError("MaxBackoff", "below MinBackoff")
	case cfg.MaxFiltersPerSubscribe < 0:
		return configError("MaxFiltersPerSubscribe", "negative")
	case cfg.QueueSize < 0:
		return configError("QueueSize", "negative")
	}
	return nil
}
