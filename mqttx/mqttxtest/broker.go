package mqttxtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tether-iot/tether/internal/testcerts"
)

// Broker is an in-process MQTT 3.1.1 broker listening on loopback. It is safe for concurrent use.
type Broker struct {
	cfg config
	log *slog.Logger

	endpoints []endpoint // fixed at start, kept across restarts
	tcpURL    string
	tlsURL    string
	wsURL     string
	wssURL    string

	// wg counts every goroutine the broker starts; Close waits for it.
	wg sync.WaitGroup

	stopped    chan struct{} // closed by Close: wakes a Restart waiting while down
	restarting chan struct{} // capacity 1: held by the Restart in progress

	packetsIn   atomic.Int64
	packetsOut  atomic.Int64
	messagesIn  atomic.Int64
	messagesOut atomic.Int64

	// fmu guards faults. It is a leaf lock: it may be taken while holding mu, never the reverse.
	fmu    sync.Mutex
	faults faults

	mu        sync.Mutex
	closed    bool
	down      bool // between the two halves of a Restart: no listener, no connection
	gen       int  // incremented by each Restart; a connection accepted by an older listener is refused
	listeners []net.Listener
	servers   []*http.Server
	ca        *testcerts.CA
	conns     map[*conn]struct{}   // every open connection, before and after CONNECT
	clients   map[string]*conn     // connected clients by client id
	sessions  map[string]*session  // connected clients' sessions and persistent sessions of absent ones
	retained  map[string]Message   // by topic
	received  map[string][]Message // PUBLISH packets read, by client id
	changed   chan struct{}        // closed and replaced whenever clients changes
	stats     Stats                // the counters guarded by mu
}

// NewBroker starts a broker for a test or benchmark and closes it when the test ends. It calls t.Fatal if
// the broker cannot start.
func NewBroker(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	b, err := Start(opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// Start starts a broker with its listeners on 127.0.0.1 and OS-chosen ports: always plain TCP (URL),
// plus those the options ask for. The caller must Close it.
func Start(opts ...Option) (*Broker, error) {
	cfg := newConfig(opts)
	if cfg.clientCertAuth && !cfg.tls && !cfg.wss {
		cfg.tls = true
	}
	b := &Broker{
		cfg:        cfg,
		log:        cfg.logger,
		conns:      make(map[*conn]struct{}),
		clients:    make(map[string]*conn),
		sessions:   make(map[string]*session),
		retained:   make(map[string]Message),
		received:   make(map[string][]Message),
		changed:    make(chan struct{}),
		faults:     newFaults(),
		stopped:    make(chan struct{}),
		restarting: make(chan struct{}, 1),
	}
	if err := b.listen(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// endpoint is one listener: its port is chosen by the OS at start and bound again by Restart.
type endpoint struct {
	kind   string      // tcp, tls, ws, wss
	addr   string      // "127.0.0.1:PORT"
	tlsCfg *tls.Config // tls and wss; the same certificate across restarts
	path   string      // ws and wss
}

// listen binds the listeners the options ask for on OS-chosen ports and serves them.
func (b *Broker) listen() error {
	eps := []endpoint{{kind: "tcp"}}
	var tlsCfg *tls.Config
	if b.cfg.tls || b.cfg.wss {
		var err error
		if tlsCfg, err = b.serverTLSConfig(); err != nil {
			return err
		}
	}
	if b.cfg.tls {
		eps = append(eps, endpoint{kind: "tls", tlsCfg: tlsCfg})
	}
	if b.cfg.ws {
		eps = append(eps, endpoint{kind: "ws", path: websocketPath(b.cfg.wsPath)})
	}
	if b.cfg.wss {
		eps = append(eps, endpoint{kind: "wss", tlsCfg: tlsCfg, path: websocketPath(b.cfg.wssPath)})
	}
	lns := make([]net.Listener, 0, len(eps))
	for i := range eps {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll(lns)
			return fmt.Errorf("mqttxtest: listen: %w", err)
		}
		lns = append(lns, ln)
		eps[i].addr = ln.Addr().String()
	}
	b.endpoints = eps
	for _, ep := range eps {
		switch ep.kind {
		case "tcp":
			b.tcpURL = "tcp://" + ep.addr
		case "tls":
			b.tlsURL = "tls://" + ep.addr
		case "ws":
			b.wsURL = "ws://" + ep.addr + ep.path
		case "wss":
			b.wssURL = "wss://" + ep.addr + ep.path
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		closeAll(lns)
		return ErrClosed
	}
	b.serveLocked(lns)
	return nil
}

// serveLocked starts serving lns, bound for b.endpoints in order, for the current generation.
func (b *Broker) serveLocked(lns []net.Listener) {
	gen := b.gen
	b.listeners = lns
	b.servers = nil
	for i, ep := range b.endpoints {
		ln := lns[i]
		switch ep.kind {
		case "tcp", "tls":
			b.goTracked(func() { b.acceptLoop(ln, ep.tlsCfg, gen) })
		case "ws":
			b.serveHTTPLocked(ln, b.websocketHandler(ep.path, ep.kind, gen))
		case "wss":
			b.serveHTTPLocked(tls.NewListener(ln, ep.tlsCfg), b.websocketHandler(ep.path, ep.kind, gen))
		}
	}
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		_ = ln.Close()
	}
}

// goTracked runs f on a goroutine Close waits for. After Start, callers hold b.mu and have checked that
// the broker is not closed, so that the WaitGroup never grows while Close waits for it.
func (b *Broker) goTracked(f func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
}

// acceptLoop serves a TCP or TLS listener of generation gen.
func (b *Broker) acceptLoop(ln net.Listener, tlsCfg *tls.Config, gen int) {
	for {
		raw, err := ln.Accept()
		if err != nil {
			if b.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond) // e.g. out of file descriptors: retry, as net/http does
			continue
		}
		var nc net.Conn = raw
		kind := "tcp"
		if tlsCfg != nil {
			nc, kind = tls.Server(raw, tlsCfg), "tls"
		}
		c := newConn(b, nc, raw, kind, nil)
		if err := b.register(c, gen); err != nil {
			_ = raw.Close() // accepted just before a Restart or Close closed ln
			return
		}
		go c.writeLoop()
		go c.run()
	}
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// register adds c, accepted by a listener of generation gen, to the broker and accounts for its reader
// and writer goroutines. It fails after Close, while the broker is down, and for a connection accepted
// before the last Restart.
func (b *Broker) register(c *conn, gen int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return ErrClosed
	case b.down || gen != b.gen:
		return ErrDown
	}
	b.conns[c] = struct{}{}
	b.wg.Add(2)
	return nil
}

// Close closes the listeners and every connection (no will is published) and returns once every
// goroutine the broker started has ended. Calling it again does nothing.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stopped)
	for c := range b.conns {
		b.dropLocked(c, false, ErrClosed)
	}
	b.notifyLocked()
	listeners, servers := b.listeners, b.servers
	b.mu.Unlock()
	for _, s := range servers {
		_ = s.Close()
	}
	closeAll(listeners)
	b.wg.Wait()
	return nil
}

// URL returns the plain TCP listener's address, "tcp://127.0.0.1:PORT".
func (b *Broker) URL() string { return b.tcpURL }

// TLSURL returns the TLS listener's address, "tls://127.0.0.1:PORT", or "" without WithTLS.
func (b *Broker) TLSURL() string { return b.tlsURL }

// WSURL returns the WebSocket listener's address, "ws://127.0.0.1:PORT/path", or "" without
// WithWebSocket.
func (b *Broker) WSURL() string { return b.wsURL }

// WSSURL returns the WebSocket-over-TLS listener's address, "wss://127.0.0.1:PORT/path", or "" without
// WithWebSocketTLS.
func (b *Broker) WSSURL() string { return b.wssURL }

// DialPipe returns the client end of an in-memory connection (net.Pipe) served by the broker. Pipe
// writes block until the other side reads, so the client must keep reading. While the broker is down
// for a Restart it returns ErrDown, as a dial would be refused.
func (b *Broker) DialPipe(ctx context.Context) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	gen := b.gen
	b.mu.Unlock()
	client, server := net.Pipe()
	c := newConn(b, server, server, "pipe", nil)
	if err := b.register(c, gen); err != nil {
		_ = client.Close()
		_ = server.Close()
		return nil, err
	}
	go c.writeLoop()
	go c.run()
	return client, nil
}

// upLocked returns ErrClosed after Close and ErrDown while the broker is down for a Restart.
func (b *Broker) upLocked() error {
	switch {
	case b.closed:
		return ErrClosed
	case b.down:
		return ErrDown
	}
	return nil
}

// Publish sends a message to the subscribers as if a client had published it (the authorizer and the
// interceptor are not consulted); retain stores or, with an empty payload, clears the retained message.
// It returns ErrDown while the broker is down for a Restart.
func (b *Broker) Publish(topic string, payload []byte, qos byte, retain bool) error {
	m, err := b.serverMessage(topic, payload, qos)
	if err != nil {
		return err
	}
	m.Retain = retain
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.upLocked(); err != nil {
		return err
	}
	b.routeLocked(m)
	return nil
}

// PublishTo delivers a message to one client whatever its subscriptions, as cloud services answer one
// device. A QoS 1 or 2 message for a persistent session whose client is away is queued; otherwise it
// returns ErrNoSession when the client is not connected. It returns ErrDown while the broker is down for a
// Restart.
func (b *Broker) PublishTo(clientID, topic string, payload []byte, qos byte) error {
	m, err := b.serverMessage(topic, payload, qos)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.upLocked(); err != nil {
		return err
	}
	s := b.sessions[clientID]
	if s == nil || (s.conn == nil && m.QoS == 0) {
		return fmt.Errorf("%w: %q", ErrNoSession, clientID)
	}
	b.deliverLocked(s, m)
	return nil
}

func (b *Broker) serverMessage(topic string, payload []byte, qos byte) (Message, error) {
	if !validTopicName(topic) {
		return Message{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	if qos > 2 {
		return Message{}, fmt.Errorf("%w: %d", ErrInvalidQoS, qos)
	}
	if qos == 2 && b.cfg.qos2 != QoS2Allow {
		qos = 1
	}
	return Message{Topic: topic, Payload: append([]byte(nil), payload...), QoS: qos}, nil
}

// Received returns copies of the PUBLISH packets the client has sent, in order, across all its
// connections: retransmissions included (Duplicate set when the DUP flag was), and messages refused by
// the authorizer or consumed by the interceptor too. With WithReceivedLimit, only the most recent ones.
func (b *Broker) Received(clientID string) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Message, len(b.received[clientID]))
	for i, m := range b.received[clientID] {
		m.Payload = append([]byte(nil), m.Payload...)
		out[i] = m
	}
	return out
}

// record keeps m for Received, within WithReceivedLimit. Called with b.mu held.
func (b *Broker) record(clientID string, m Message) {
	if !b.cfg.limitReceived {
		b.received[clientID] = append(b.received[clientID], m)
		return
	}
	if b.cfg.receivedLimit == 0 {
		return
	}
	r := append(b.received[clientID], m)
	if len(r) > b.cfg.receivedLimit {
		// The window moves along the array; append copies it to a new one when the end is reached,
		// so at most about twice the limit stays allocated.
		r = r[len(r)-b.cfg.receivedLimit:]
	}
	b.received[clientID] = r
}

// Clients returns the ids of the connected clients, sorted.
func (b *Broker) Clients() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, 0, len(b.clients))
	for id := range b.clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// WaitConnected returns once the client is connected (its CONNECT accepted), or ctx's error, or
// ErrClosed.
func (b *Broker) WaitConnected(ctx context.Context, clientID string) error {
	return b.waitClient(ctx, clientID, true)
}

// WaitDisconnected returns once the client is not connected, or ctx's error, or ErrClosed.
func (b *Broker) WaitDisconnected(ctx context.Context, clientID string) error {
	return b.waitClient(ctx, clientID, false)
}

func (b *Broker) waitClient(ctx context.Context, clientID string, connected bool) error {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return ErrClosed
		}
		_, ok := b.clients[clientID]
		changed := b.changed
		b.mu.Unlock()
		if ok == connected {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	s := b.stats
	b.mu.Unlock()
	s.PacketsIn = int(b.packetsIn.Load())
	s.PacketsOut = int(b.packetsOut.Load())
	s.MessagesIn = int(b.messagesIn.Load())
	s.MessagesOut = int(b.messagesOut.Load())
	return s
}

// notifyLocked wakes WaitConnected callers after clients changed.
func (b *Broker) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

func autoClientID() string { return "auto-" + uuid.NewString() }
