package mqttxtest

import (
	"log/slog"
	"time"
)

// Defaults used when an option is not given (or given its zero value).
const (
	// DefaultKeepAliveFactor is the multiple of a client's keepalive after which a silent connection is
	// closed (MQTT 3.1.1 §3.1.2.10; AWS and Azure use 1.5 too).
	DefaultKeepAliveFactor = 1.5
	// DefaultWebSocketPath is the HTTP path of the WebSocket listeners.
	DefaultWebSocketPath = "/mqtt"
	// DefaultMaxInflight is how many outbound QoS 1/2 messages may await acknowledgement per client
	// before further ones are queued (mosquitto's max_inflight_messages).
	DefaultMaxInflight = 20
	// DefaultMaxQueued is how many QoS 1/2 messages are queued per session beyond the inflight window
	// (mosquitto's max_queued_messages); further ones are dropped and counted in Stats.Dropped.
	DefaultMaxQueued = 1000
	// DefaultMaxPacketSize is the largest packet (remaining length) accepted from a client; a larger one
	// closes the connection.
	DefaultMaxPacketSize = 16 << 20
	// DefaultConnectTimeout is how long a new connection may take to send CONNECT (and finish its TLS or
	// WebSocket handshake).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultQoS2Policy is QoS2Allow: out of the box the broker is a plain MQTT 3.1.1 broker like
	// mosquitto. The cloud emulators choose QoS2Disconnect.
	DefaultQoS2Policy = QoS2Allow
)

// Option configures a Broker.
type Option func(*config)

type config struct {
	tls             bool
	clientCertAuth  bool
	ws              bool
	wsPath          string
	wss             bool
	wssPath         string
	qos2            QoS2Policy
	authenticate    func(ConnectInfo) byte
	authorize       func(Action) Decision
	intercept       func(client string, m Message) bool
	keepAliveFactor float64
	maxInflight     int
	maxQueued       int
	maxPacketSize   int
	noParentMatch   bool
	noWildRetained  bool
	limitReceived   bool
	receivedLimit   int
	logger          *slog.Logger
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.wsPath == "" {
		c.wsPath = DefaultWebSocketPath
	}
	if c.wssPath == "" {
		c.wssPath = DefaultWebSocketPath
	}
	if c.keepAliveFactor <= 0 {
		c.keepAliveFactor = DefaultKeepAliveFactor
	}
	if c.maxInflight <= 0 {
		c.maxInflight = DefaultMaxInflight
	}
	if c.maxQueued <= 0 {
		c.maxQueued = DefaultMaxQueued
	}
	if c.maxPacketSize <= 0 {
		c.maxPacketSize = DefaultMaxPacketSize
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// WithTLS adds a TLS listener (TLSURL). Its server certificate is generated at start for "localhost",
// 127.0.0.1 and ::1, signed by the broker's CA (CA). A client certificate signed by the CA is verified
// and passed to the authenticator when the client sends one.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithClientCertAuth makes the TLS listeners (TLS and WebSocket over TLS) require a client certificate
// signed by the broker's CA (IssueClientCert). It implies WithTLS unless WithWebSocketTLS is given.
func WithClientCertAuth() Option { return func(c *config) { c.clientCertAuth = true } }

// WithWebSocket adds a ws:// listener serving MQTT at path (DefaultWebSocketPath when empty). Clients
// must ask for the WebSocket subprotocol "mqtt" and send binary frames only.
func WithWebSocket(path string) Option {
	return func(c *config) { c.ws, c.wsPath = true, path }
}

// WithWebSocketTLS adds a wss:// listener serving MQTT at path (DefaultWebSocketPath when empty), with the
// same certificates as WithTLS.
func WithWebSocketTLS(path string) Option {
	return func(c *config) { c.wss, c.wssPath = true, path }
}

// WithQoS2 sets how the broker treats QoS 2 (default DefaultQoS2Policy).
func WithQoS2(policy QoS2Policy) Option { return func(c *config) { c.qos2 = policy } }

// WithAuthenticator sets the function that accepts or refuses each CONNECT: it returns the CONNACK
// return code (0 accepts). It runs on the connection's goroutine and may call the Broker's methods.
func WithAuthenticator(f func(ConnectInfo) byte) Option {
	return func(c *config) { c.authenticate = f }
}

// WithAuthorizer sets the function deciding each PUBLISH from a client and each filter of a SUBSCRIBE.
// It runs on the connection's goroutine and may call the Broker's methods.
func WithAuthorizer(f func(Action) Decision) Option {
	return func(c *config) { c.authorize = f }
}

// WithInterceptor sets a function that sees every authorized PUBLISH from a client before it is routed;
// returning true consumes the message (it is neither routed nor retained). Emulated cloud services use it
// to receive requests and answer with PublishTo. It runs on the publishing client's connection goroutine,
// before the PUBACK is sent, and may call the Broker's methods.
func WithInterceptor(f func(client string, m Message) (consume bool)) Option {
	return func(c *config) { c.intercept = f }
}

// WithKeepAliveFactor sets the multiple of a client's keepalive after which a silent connection is closed
// and its will published (default DefaultKeepAliveFactor).
func WithKeepAliveFactor(f float64) Option { return func(c *config) { c.keepAliveFactor = f } }

// WithMaxInflight sets the per-client window of unacknowledged outbound QoS 1/2 messages (default
// DefaultMaxInflight).
func WithMaxInflight(n int) Option { return func(c *config) { c.maxInflight = n } }

// WithMaxQueued sets how many QoS 1/2 messages a session queues beyond the inflight window, including
// while a persistent client is away (default DefaultMaxQueued).
func WithMaxQueued(n int) Option { return func(c *config) { c.maxQueued = n } }

// WithMaxPacketSize sets the largest packet remaining length accepted from a client (default
// DefaultMaxPacketSize); a larger packet closes the connection.
func WithMaxPacketSize(n int) Option { return func(c *config) { c.maxPacketSize = n } }

// WithoutParentMatch makes "a/#" not match "a", as on AWS IoT Core (MQTT 3.1.1 says it matches).
func WithoutParentMatch() Option { return func(c *config) { c.noParentMatch = true } }

// WithoutWildcardRetained stops retained messages from being sent on subscription to a filter with
// wildcards, as on AWS IoT Core; an exact filter still receives its topic's retained message.
func WithoutWildcardRetained() Option { return func(c *config) { c.noWildRetained = true } }

// WithReceivedLimit makes Received keep only the n most recent PUBLISH packets of each client (none
// when n ≤ 0). Without it every one is kept, which suits tests; benchmarks and soak tests that publish
// millions of messages bound it, so that the broker's memory (and the garbage collector's work in the
// test process) does not grow with every message. Stats counts every message either way.
func WithReceivedLimit(n int) Option {
	return func(c *config) { c.limitReceived, c.receivedLimit = true, max(n, 0) }
}

// WithLogger sets the logger for connection events (default: discard). Passwords are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
