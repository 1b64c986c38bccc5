package azureiottest

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/methodsvc"
	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/azureiot"
)

// Errors returned by the Hub's methods.
var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("azureiottest: hub closed")
	// ErrUnknownDevice is returned for a device or module that was not
	// added to the hub.
	ErrUnknownDevice = errors.New("azureiottest: unknown device")
	// ErrNotSubscribed is returned by Deliver when the client has no
	// subscription matching the topic.
	ErrNotSubscribed = errors.New("azureiottest: client not subscribed")
)

// Hub is an emulated Azure IoT Hub: an mqttxtest broker on loopback with
// IoT Hub's authentication, topic rules and message handling. It is safe for
// concurrent use.
type Hub struct {
	t      testing.TB // nil when started with Start
	cfg    config
	log    *slog.Logger
	broker *mqttxtest.Broker
	twins  *twinsvc.Service // the twin service, registered for TwinPrefix
	twinMu sync.Mutex       // serializes UpdateDesired's notifications
	// methods invokes direct methods, registered for MethodResponsePrefix.
	methods *methodsvc.Service

	mu         sync.Mutex
	closed     bool
	identities map[string]*identity        // by client id: "dev" or "dev/mod"
	sessions   map[string]*sessionState    // by client id
	attempts   map[string][]ConnectAttempt // by client id as sent
	d2c        map[string][]D2CMessage     // by client id
	services   []service
	changed    chan struct{} // closed and replaced when d2c changes
	expiries   int
}

// identity is a registered device or module.
type identity struct {
	deviceID, moduleID string
	key                []byte // SAS identities
	thumbprint         string // X.509 identities: hex SHA-256 of the certificate
}

// sessionState is what the hub tracks about a client id's connection.
type sessionState struct {
	gen   uint64      // incremented by every accepted CONNECT
	timer *time.Timer // closes the connection when its token expires
	subs  map[string]struct{}
}

// ConnectAttempt is a CONNECT the hub authenticated (mqttxtest's
// RefuseConnect answers before the hub sees one).
type ConnectAttempt struct {
	Time     time.Time
	ClientID string
	Username string
	// Code is the CONNACK return code: 0 accepted, 2 identifier rejected,
	// 4 bad user name or password, 5 not authorized.
	Code byte
	// TokenExpiry is the SAS token's expiry (se); zero without a
	// parsable token.
	TokenExpiry time.Time
	// X509 is true when the identity authenticated by certificate.
	X509 bool
	// KeepAlive and CleanSession are as the CONNECT sent them.
	KeepAlive    time.Duration
	CleanSession bool
}

// New starts a hub for a test and closes it when the test ends. It calls
// t.Fatal if the hub cannot start.
func New(t testing.TB, opts ...Option) *Hub {
	t.Helper()
	h, err := Start(opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	h.t = t
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// Start starts a hub, for programs; the caller must Close it. It listens on
// 127.0.0.1 with OS-chosen ports: MQTT over TLS (URL) and MQTT over
// WebSocket over TLS at azureiot.WebSocketPath (WebSocketURL).
func Start(opts ...Option) (*Hub, error) {
	cfg := newConfig(opts)
	h := &Hub{
		cfg:        cfg,
		log:        cfg.logger,
		identities: make(map[string]*identity),
		sessions:   make(map[string]*sessionState),
		attempts:   make(map[string][]ConnectAttempt),
		d2c:        make(map[string][]D2CMessage),
		changed:    make(chan struct{}),
		twins:      twinsvc.New(),
	}
	methods, err := methodsvc.New(methodsvc.Config{
		IsSubscribed: func(clientID string) bool {
			return h.Subscribed(clientID, methodsvc.RequestTopic("m", "0"))
		},
		PublishTo: func(clientID, topic string, payload []byte) error {
			return h.Deliver(clientID, topic, payload, 0)
		},
		MinTimeout: cfg.minMethodTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("azureiottest: %w", err)
	}
	h.methods = methods
	h.services = []service{
		{prefix: TwinPrefix, fn: h.serveTwin},
		{prefix: MethodResponsePrefix, fn: func(r Request) { h.methods.HandleDevicePublish(r.ClientID, r.Topic, r.Payload) }},
	}
	brokerOpts := append([]mqttxtest.Option{mqttxtest.WithLogger(cfg.logger)}, cfg.brokerOpts...)
	brokerOpts = append(brokerOpts,
		mqttxtest.WithTLS(),
		mqttxtest.WithWebSocketTLS(azureiot.WebSocketPath),
		mqttxtest.WithQoS2(mqttxtest.QoS2Disconnect),
		mqttxtest.WithAuthenticator(h.authenticate),
		mqttxtest.WithAuthorizer(h.authorize),
		mqttxtest.WithInterceptor(h.intercept),
	)
	b, err := mqttxtest.Start(brokerOpts...)
	if err != nil {
		return nil, fmt.Errorf("azureiottest: %w", err)
	}
	h.broker = b
	return h, nil
}

// Close closes the hub's listeners and connections and stops its timers. It
// returns once every goroutine the hub started has ended.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for _, s := range h.sessions {
		if s.timer != nil {
			s.timer.Stop()
		}
	}
	close(h.changed)
	h.mu.Unlock()
	return h.broker.Close()
}

// Broker returns the underlying broker, for its fault injection (Disconnect,
// DisconnectAfter, WithholdAcks, RefuseConnect, ...) and inspection.
func (h *Hub) Broker() *mqttxtest.Broker { return h.broker }

// HostName returns the hub's host name (DefaultHostName unless set with
// WithHostName).
func (h *Hub) HostName() string { return h.cfg.hostName }

// URL returns the MQTT over TLS listener's address,
// "tls://127.0.0.1:PORT", for azureiot.Config.Server.
func (h *Hub) URL() string { return h.broker.TLSURL() }

// WebSocketURL returns the MQTT over WebSocket listener's address,
// "wss://127.0.0.1:PORT/$iothub/websocket", for azureiot.Config.Server
// with WebSocket set.
func (h *Hub) WebSocketURL() string { return h.broker.WSSURL() }

// CA returns a pool holding the certificate authority of the hub's server
// certificate (valid for 127.0.0.1, ::1 and "localhost"), for
// azureiot.Config.RootCAs.
func (h *Hub) CA() *x509.CertPool { return h.broker.CA() }

// ConnectAttempts returns the CONNECTs the hub authenticated for a client
// id ("dev" or "dev/mod"), in order.
func (h *Hub) ConnectAttempts(clientID string) []ConnectAttempt {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]ConnectAttempt(nil), h.attempts[clientID]...)
}

// TokenExpiries returns how many connections the hub has closed because
// their SAS token expired.
func (h *Hub) TokenExpiries() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.expiries
}

// fail reports a misuse of the hub: t.Fatal in a test, a panic otherwise
// (as httptest does when it cannot serve).
func (h *Hub) fail(err error) {
	if h.t != nil {
		h.t.Helper()
		h.t.Fatalf("%v", err)
	}
	panic(err)
}

func (h *Hub) session(clientID string) *sessionState {
	s := h.sessions[clientID]
	if s == nil {
		s = &sessionState{subs: make(map[string]struct{})}
		h.sessions[clientID] = s
	}
	return s
}
