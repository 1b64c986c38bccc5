package azureiot

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// New validates cfg and returns a transport for the identity it describes.
// It does no I/O: call Connect on the result.
//
// The connection uses the IoT Hub client ID and username, a fresh SAS token
// for every connection attempt (or the X.509 certificate), and is renewed
// gracefully after TokenRenewAt of the token's lifetime, before the hub
// closes it at the token's expiry.
//
// A misconfiguration is a *transport.ConfigError naming the Config field.
func New(cfg Config) (*transport.Conn, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	dialect, err := NewDialect(r.deviceID, r.moduleID)
	if err != nil {
		return nil, configErrorFromID(err)
	}
	opts := mqttx.Options{
		Server:                 r.server,
		ClientID:               dialect.clientID,
		Username:               r.username,
		TLSConfig:              r.tls,
		KeepAlive:              r.keepAlive,
		ConnectTimeout:         cfg.ConnectTimeout,
		PersistentSession:      cfg.PersistentSession,
		MinBackoff:             cfg.MinBackoff,
		MaxBackoff:             cfg.MaxBackoff,
		BackoffResetAfter:      cfg.BackoffResetAfter,
		MaxFiltersPerSubscribe: MaxSubscriptions,
		QueueSize:              cfg.QueueSize,
		Logger:                 cfg.Logger,
	}
	var maxAge time.Duration
	if r.key != nil {
		m := &sasMinter{
			username: r.username,
			resource: DeviceResource(r.hostName, r.deviceID, r.moduleID),
			key:      r.key,
			keyName:  r.keyName,
			ttl:      r.ttl,
			clock:    r.clock,
		}
		opts.Credentials = m.credentials
		maxAge = time.Duration(float64(r.ttl) * r.renewAt)
	}
	return transport.NewConn(transport.Options{
		MQTT:             opts,
		Dialect:          dialect,
		MaxConnectionAge: maxAge,
		Outbox:           cfg.Outbox,
		Logger:           cfg.Logger,
	})
}

// resolved is a validated Config.
type resolved struct {
	hostName, deviceID, moduleID string
	key                          []byte // nil with X.509
	keyName                      string
	username                     string
	server                       string
	tls                          *tls.Config
	keepAlive                    time.Duration
	ttl                          time.Duration
	renewAt                      float64
	clock                        func() time.Time
}

func resolve(cfg Config) (*resolved, error) {
	r := &resolved{
		hostName: cfg.HostName,
		deviceID: cfg.DeviceID,
		moduleID: cfg.ModuleID,
		keyName:  cfg.SharedAccessKeyName,
		clock:    cfg.Clock,
	}
	gateway := cfg.GatewayHostName
	hasKey := cfg.SharedAccessKey != ""
	wantX509 := false
	if cfg.ConnectionString != "" {
		for _, f := range []struct{ name, v string }{
			{"HostName", cfg.HostName}, {"DeviceID", cfg.DeviceID}, {"ModuleID", cfg.ModuleID},
			{"SharedAccessKey", cfg.SharedAccessKey}, {"SharedAccessKeyName", cfg.SharedAccessKeyName},
			{"GatewayHostName", cfg.GatewayHostName},
		} {
			if f.v != "" {
				return nil, &transport.ConfigError{Setting: f.name, Reason: "must be empty when ConnectionString is set"}
			}
		}
		cs, err := ParseConnectionString(cfg.ConnectionString)
		if err != nil {
			return nil, &transport.ConfigError{Setting: "ConnectionString", Reason: "malformed", Err: err}
		}
		r.hostName, r.deviceID, r.moduleID = cs.HostName, cs.DeviceID, cs.ModuleID
		r.key, r.keyName, gateway = cs.SharedAccessKey, cs.SharedAccessKeyName, cs.GatewayHostName
		hasKey, wantX509 = cs.SharedAccessKey != nil, cs.X509
	}
	if r.hostName == "" {
		return nil, &transport.ConfigError{Setting: "HostName", Reason: "required"}
	}
	if r.deviceID == "" {
		return nil, &transport.ConfigError{Setting: "DeviceID", Reason: "required"}
	}
	username, err := Username(r.hostName, r.deviceID, r.moduleID, cfg.ModelID)
	if err != nil {
		return nil, configErrorFromID(err)
	}
	if err := validateTopicIdentity(r.deviceID, r.moduleID); err != nil {
		return nil, configErrorFromID(err)
	}
	r.username = username
	if gateway != "" {
		if err := validateHostName("GatewayHostName", gateway); err != nil {
			return nil, configErrorFromID(err)
		}
	}

	// Authentication: exactly one of a key and a certificate.
	getCert, certSetting, err := clientCertificate(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case hasKey && getCert != nil:
		return nil, &transport.ConfigError{Setting: certSetting, Reason: "conflicts with SharedAccessKey: use one way to authenticate"}
	case !hasKey && getCert == nil && wantX509:
		return nil, &transport.ConfigError{Setting: "CertFile", Reason: "the connection string says x509=true: set CertFile and KeyFile, Certificate or GetClientCertificate"}
	case !hasKey && getCert == nil:
		return nil, &transport.ConfigError{Setting: "SharedAccessKey", Reason: "missing: set SharedAccessKey, or CertFile and KeyFile, Certificate or GetClientCertificate"}
	case r.keyName != "" && !hasKey:
		return nil, &transport.ConfigError{Setting: "SharedAccessKeyName", Reason: "given without SharedAccessKey"}
	}
	if hasKey && r.key == nil {
		key, err := base64.StdEncoding.Strict().DecodeString(cfg.SharedAccessKey)
		if err != nil || len(key) == 0 {
			// err would describe the key's content: drop it.
			return nil, &transport.ConfigError{Setting: "SharedAccessKey", Reason: "not valid base64"}
		}
		r.key = key
	}

	// Token lifetime and clock.
	switch {
	case cfg.TokenTTL == 0:
		r.ttl = DefaultTokenTTL
	case cfg.TokenTTL < MinTokenTTL:
		return nil, &transport.ConfigError{Setting: "TokenTTL", Reason: fmt.Sprintf("%v is shorter than %v", cfg.TokenTTL, MinTokenTTL)}
	default:
		r.ttl = cfg.TokenTTL
	}
	switch {
	case cfg.TokenRenewAt == 0:
		r.renewAt = DefaultTokenRenewAt
	case !(cfg.TokenRenewAt > 0 && cfg.TokenRenewAt < 1):
		return nil, &transport.ConfigError{Setting: "TokenRenewAt", Reason: fmt.Sprintf("%v is not in (0, 1)", cfg.TokenRenewAt)}
	default:
		r.renewAt = cfg.TokenRenewAt
	}
	if r.clock == nil {
		r.clock = time.Now
	}

	switch {
	case cfg.KeepAlive == 0:
		r.keepAlive = DefaultKeepAlive
	case cfg.KeepAlive < time.Second:
		return nil, &transport.ConfigError{Setting: "KeepAlive", Reason: fmt.Sprintf("%v is shorter than one second", cfg.KeepAlive)}
	case cfg.KeepAlive > MaxKeepAlive:
		return nil, &transport.ConfigError{Setting: "KeepAlive", Reason: fmt.Sprintf("%v is longer than %v: the hub would time the connection out", cfg.KeepAlive, MaxKeepAlive)}
	default:
		r.keepAlive = cfg.KeepAlive
	}

	// Endpoint and TLS.
	host := r.hostName
	if gateway != "" {
		host = gateway
	}
	server, serverName, err := endpoint(cfg, host)
	if err != nil {
		return nil, err
	}
	r.server = server
	r.tls = &tls.Config{
		MinVersion:           tls.VersionTLS12,
		RootCAs:              cfg.RootCAs,
		ServerName:           serverName,
		GetClientCertificate: getCert,
	}
	return r, nil
}

// endpoint returns the URL to dial and the TLS server name.
func endpoint(cfg Config, host string) (server, serverName string, err error) {
	if cfg.Server == "" {
		port := DefaultPort
		scheme, path := "mqtts", ""
		if cfg.WebSocket {
			scheme, port, path = "wss", DefaultWebSocketPort, WebSocketPath
		}
		hostPort := host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h // the host name carries its own port
		} else {
			hostPort = net.JoinHostPort(host, port)
		}
		return scheme + "://" + hostPort + path, host, nil
	}
	u, err := url.Parse(cfg.Server)
	if err != nil {
		return "", "", &transport.ConfigError{Setting: "Server", Reason: "not a URL", Err: err}
	}
	switch u.Scheme {
	case "mqtts", "ssl", "tls":
		if cfg.WebSocket {
			return "", "", &transport.ConfigError{Setting: "WebSocket", Reason: fmt.Sprintf("set, but Server's scheme is %q, not wss", u.Scheme)}
		}
	case "wss":
	case "tcp", "mqtt", "ws":
		return "", "", &transport.ConfigError{Setting: "Server", Reason: fmt.Sprintf("scheme %q is not encrypted: IoT Hub requires TLS", u.Scheme)}
	default:
		return "", "", &transport.ConfigError{Setting: "Server", Reason: fmt.Sprintf("scheme %q is not one of mqtts, ssl, tls, wss", u.Scheme)}
	}
	if u.Hostname() == "" {
		return "", "", &transport.ConfigError{Setting: "Server", Reason: "no host"}
	}
	return cfg.Server, u.Hostname(), nil
}

// clientCertificate returns the TLS client certificate callback of an X.509
// configuration (nil without one) and the name of the setting it came from.
func clientCertificate(cfg Config) (func(*tls.CertificateRequestInfo) (*tls.Certificate, error), string, error) {
	var sources []string
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		sources = append(sources, "CertFile")
	}
	if cfg.Certificate != nil {
		sources = append(sources, "Certificate")
	}
	if cfg.GetClientCertificate != nil {
		sources = append(sources, "GetClientCertificate")
	}
	if len(sources) > 1 {
		return nil, "", &transport.ConfigError{Setting: sources[1], Reason: "conflicts with " + sources[0] + ": give one certificate source"}
	}
	switch {
	case cfg.CertFile != "" || cfg.KeyFile != "":
		if cfg.CertFile == "" {
			return nil, "", &transport.ConfigError{Setting: "CertFile", Reason: "required with KeyFile"}
		}
		if cfg.KeyFile == "" {
			return nil, "", &transport.ConfigError{Setting: "KeyFile", Reason: "required with CertFile"}
		}
		// Load once now to report a bad file early; the callback loads the
		// files again for every handshake so that a rotated pair is used.
		if _, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile); err != nil {
			return nil, "", &transport.ConfigError{Setting: "CertFile", Reason: "cannot load the certificate and key", Err: err}
		}
		certFile, keyFile := cfg.CertFile, cfg.KeyFile
		return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("azureiot: loading the client certificate: %w", err)
			}
			return &c, nil
		}, "CertFile", nil
	case cfg.Certificate != nil:
		if len(cfg.Certificate.Certificate) == 0 || cfg.Certificate.PrivateKey == nil {
			return nil, "", &transport.ConfigError{Setting: "Certificate", Reason: "has no certificate or no private key"}
		}
		c := cfg.Certificate
		return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }, "Certificate", nil
	case cfg.GetClientCertificate != nil:
		return cfg.GetClientCertificate, "GetClientCertificate", nil
	}
	return nil, "", nil
}

// configErrorFromID names the Config field of an identity error.
func configErrorFromID(err error) error {
	var ie *IDError
	if !errors.As(err, &ie) {
		return &transport.ConfigError{Setting: "DeviceID", Reason: "invalid", Err: err}
	}
	setting := map[string]string{
		"DeviceId": "DeviceID", "ModuleId": "ModuleID", "ModelId": "ModelID",
		"HostName": "HostName", "GatewayHostName": "GatewayHostName",
	}[ie.Field]
	if setting == "" {
		setting = ie.Field
	}
	return &transport.ConfigError{Setting: setting, Reason: ie.Reason, Err: err}
}

// sasMinter signs a fresh SAS token for every connection attempt.
type sasMinter struct {
	username string
	resource string
	key      []byte
	keyName  string
	ttl      time.Duration
	clock    func() time.Time
}

func (m *sasMinter) credentials(context.Context) (mqttx.Credentials, error) {
	now := m.clock()
	if err := CheckClock(now); err != nil {
		return mqttx.Credentials{}, fmt.Errorf("azureiot: cannot mint a SAS token: %w", err)
	}
	// Round the expiry up so that the token lives at least ttl.
	expiry := now.Add(m.ttl)
	if t := expiry.Truncate(time.Second); t.Before(expiry) {
		expiry = t.Add(time.Second)
	}
	return mqttx.Credentials{
		Username: m.username,
		Password: SASToken(m.resource, m.key, m.keyName, expiry),
	}, nil
}
