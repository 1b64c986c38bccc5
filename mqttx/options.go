package mqttx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/tether-iot/tether/internal/backoff"
)

// Defaults used for zero-valued Options fields.
const (
	DefaultKeepAlive              = 60 * time.Second
	DefaultPingTimeout            = 10 * time.Second
	DefaultConnectTimeout         = 20 * time.Second
	DefaultMinBackoff             = backoff.DefaultMin        // 1 s
	DefaultMaxBackoff             = backoff.DefaultMax        // 120 s
	DefaultBackoffResetAfter      = backoff.DefaultResetAfter // 30 s
	DefaultMaxFiltersPerSubscribe = 8                         // AWS IoT Core's limit per SUBSCRIBE packet
	DefaultQueueSize              = 256
)

// Credentials are the user name and password sent in CONNECT.
type Credentials struct {
	Username string
	Password string
}

// Options configure a Client. Zero values mean "use the default".
type Options struct {
	// Server is the broker URL: tcp:// or mqtt:// (port 1883 by default); tls://, ssl://, mqtts://
	// (8883); ws:// (80); wss:// (443). It may be empty when Dial is set.
	Server   string
	ClientID string
	Username string
	Password string
	// Credentials, when set, is called before EVERY connection attempt and overrides Username and
	// Password (Azure mints a fresh SAS token per attempt). An error fails that attempt.
	Credentials func(ctx context.Context) (Credentials, error)
	// TLSConfig is used for tls/ssl/mqtts/wss servers; it is cloned per attempt. nil means the system
	// roots with TLS 1.2 at least. New refuses (ErrInsecureTLS) one that skips the server's
	// verification (InsecureSkipVerify without VerifyPeerCertificate or VerifyConnection) or allows
	// a version below TLS 1.2.
	TLSConfig *tls.Config
	// WebSocketHeader holds extra HTTP headers for ws/wss servers.
	WebSocketHeader http.Header
	// Dial, when set, opens the network connection for every attempt instead of dialing Server
	// (net.Pipe in tests, ALPN, SigV4-presigned WebSocket URLs recomputed per attempt, proxies).
	// DialServer is the building block for such hooks.
	Dial func(ctx context.Context) (net.Conn, error)

	KeepAlive      time.Duration // PINGREQ interval; default DefaultKeepAlive (whole seconds on the wire)
	PingTimeout    time.Duration // PINGRESP wait before the connection is deemed lost; default DefaultPingTimeout
	ConnectTimeout time.Duration // dial + CONNECT..CONNACK per attempt, and each re-subscribe; default DefaultConnectTimeout
	// PersistentSession sends CleanSession=false (requires ClientID): the broker keeps subscriptions and
	// queued QoS 1 messages while the client is away, and unacknowledged QoS 1 publishes are resent
	// after a reconnect. The zero value means a clean session.
	PersistentSession bool
	Will              *Message // last will, published by the broker if the connection is lost

	MinBackoff             time.Duration // default DefaultMinBackoff
	MaxBackoff             time.Duration // default DefaultMaxBackoff
	BackoffResetAfter      time.Duration // default DefaultBackoffResetAfter
	MaxFiltersPerSubscribe int           // filters per SUBSCRIBE packet; default DefaultMaxFiltersPerSubscribe
	QueueSize              int           // pending messages per subscription; default DefaultQueueSize

	// OnEvent is called with connection and subscription events, in order, never concurrently, on a
	// goroutine of its own (a slow OnEvent delays later events, never the client).
	OnEvent func(Event)
	// Logger receives the client's structured logs; nil discards them. Passwords are never logged.
	Logger *slog.Logger
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Server == "" && o.Dial == nil {
		return o, errors.New("mqttx: Options.Server or Options.Dial required")
	}
	if o.Server != "" {
		u, err := url.Parse(o.Server)
		if err != nil {
			return o, fmt.Errorf("mqttx: invalid Options.Server: %w", err)
		}
		if _, err := schemeKind(u.Scheme); err != nil {
			return o, err
		}
	}
	if err := checkTLS(o.TLSConfig); err != nil {
		return o, err
	}
	if o.PersistentSession && o.ClientID == "" {
		return o, errors.New("mqttx: a persistent session requires Options.ClientID")
	}
	if len(o.ClientID) > MaxTopicLength {
		return o, errors.New("mqttx: Options.ClientID longer than 65535 bytes")
	}
	if o.Will != nil {
		if err := ValidateTopicName(o.Will.Topic); err != nil {
			return o, fmt.Errorf("mqttx: Options.Will: %w", err)
		}
		if o.Will.QoS > 2 {
			return o, fmt.Errorf("mqttx: Options.Will: %w", ErrInvalidQoS)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"KeepAlive", o.KeepAlive}, {"PingTimeout", o.PingTimeout}, {"ConnectTimeout", o.ConnectTimeout},
		{"MinBackoff", o.MinBackoff}, {"MaxBackoff", o.MaxBackoff}, {"BackoffResetAfter", o.BackoffResetAfter}} {
		if d.v < 0 {
			return o, fmt.Errorf("mqttx: negative Options.%s", d.name)
		}
	}
	if o.KeepAlive > 65535*time.Second {
		return o, errors.New("mqttx: Options.KeepAlive above 65535 s")
	}
	if o.MaxFiltersPerSubscribe < 0 || o.QueueSize < 0 {
		return o, errors.New("mqttx: negative Options.MaxFiltersPerSubscribe or Options.QueueSize")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.KeepAlive, DefaultKeepAlive)
	def(&o.PingTimeout, DefaultPingTimeout)
	def(&o.ConnectTimeout, DefaultConnectTimeout)
	def(&o.MinBackoff, DefaultMinBackoff)
	def(&o.MaxBackoff, DefaultMaxBackoff)
	def(&o.BackoffResetAfter, DefaultBackoffResetAfter)
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxFiltersPerSubscribe == 0 {
		o.MaxFiltersPerSubscribe = DefaultMaxFiltersPerSubscribe
	}
	if o.QueueSize == 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
