package mqttx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/tether-iot/tether/internal/backoff"
	"github.com/tether-iot/tether/internal/smallmap"
)

// Message is an MQTT application message.
type Message struct {
	Topic     string
	Payload   []byte
	QoS       byte
	Retained  bool
	Duplicate bool // DUP flag as received
}

// Handler handles one inbound message. It runs on mqttx's own worker goroutine for its subscription
// (never on the network goroutines, so it may call Publish and wait for the PUBACK); messages of one
// subscription are handled in order, unless a handler detaches ([Detach]). ctx is cancelled when the
// client is disconnected for good (Disconnect).
type Handler func(ctx context.Context, msg Message)

const (
	// disconnectQuiesce is how long Disconnect lets the DISCONNECT packet be written.
	disconnectQuiesce = time.Second
	// enqueueTimeout bounds paho's hand-off of a packet to its writer (paho has no ctx there): it only
	// matters when the connection is stalled. Without it (WriteTimeout 0) paho would wait 30 s there
	// (TestPublishesOnAStalledConnectionEndWithinTheWriteTimeout). It also makes paho read the clock
	// and set a write deadline twice around every PUBLISH, which deadlineConn ignores; an interleaved
	// A/B of QoS 0 throughput with and without it showed no significant difference.
	enqueueTimeout = 10 * time.Second
	// statusRetry is the pause before retrying a connect that paho refused because it is still
	// finishing the teardown of the previous connection.
	statusRetry = 5 * time.Millisecond
)

// Client is an MQTT 3.1.1 client that owns its reconnect loop and its subscriptions. It is safe for
// concurrent use. After Disconnect it cannot be used again.
type Client struct {
	opts   Options
	log    *slog.Logger
	policy backoff.Policy
	paho   mqtt.Client
	events eventQueue

	// life is cancelled by Disconnect: the handlers' ctx.
	life       context.Context
	lifeCancel context.CancelFunc

	workers sync.WaitGroup // subscription workers

	// The flags are kept together (a gateway holds a Client per device).
	mu           sync.Mutex
	closed       bool
	connected    bool                        // a paho connection is up (set on CONNACK, cleared on loss)
	reconnectNow bool                        // Reconnect: the loop skips the backoff
	run          *run                        // the reconnect loop, nil while idle
	subs         smallmap.Map[*subscription] // by filter
	lostErr      error                       // reason of the last connection loss
	// Per attempt: read by paho's callbacks, which cannot take a ctx.
	attemptCtx context.Context
	creds      Credentials
	dialErr    error
	conn       net.Conn // the connection of the current attempt or session

	// Graceful reconnect (Reconnect): renewing is non-nil while one runs
	// and is closed when it ends; ups counts successful connections.
	renewing chan struct{}
	ups      uint64
	inflight int // QoS>0 publishes waiting for their acknowledgement
}

// New validates opts and returns a client. It does no I/O and starts no goroutine.
func New(opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:   o,
		log:    o.Logger.With(slog.String("client_id", o.ClientID)),
		policy: backoff.Policy{Min: o.MinBackoff, Max: o.MaxBackoff},
		events: eventQueue{fn: o.OnEvent},
	}
	c.life, c.lifeCancel = context.WithCancel(context.Background())

	server := o.Server
	if server == "" {
		server = "tcp://dial-hook" // never dialed: openConn uses Options.Dial
	}
	po := mqtt.NewClientOptions().
		AddBroker(server).
		SetClientID(o.ClientID).
		SetProtocolVersion(4). // MQTT 3.1.1, no silent fallback to 3.1
		SetCleanSession(!o.PersistentSession).
		SetAutoReconnect(false). // the reconnect loop is ours
		SetConnectRetry(false).
		SetResumeSubs(false). // the registry is ours
		SetOrderMatters(true).
		SetAutoAckDisabled(true). // route acknowledges, before it hands the message over
		SetKeepAlive(o.KeepAlive).
		SetPingTimeout(o.PingTimeout).
		SetConnectTimeout(o.ConnectTimeout).
		SetWriteTimeout(enqueueTimeout).
		SetDefaultPublishHandler(c.route).
		SetConnectionLostHandler(c.onConnectionLost).
		SetCredentialsProvider(c.currentCredentials).
		SetCustomOpenConnectionFn(c.openConn)
	if w := o.Will; w != nil {
		po.SetBinaryWill(w.Topic, w.Payload, w.QoS, w.Retained)
	}
	c.paho = mqtt.NewClient(po)
	return c, nil
}

// IsConnected reports whether a connection to the server is up.
func (c *Client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// Connect starts the reconnect loop and returns once connected (CONNACK accepted and every registered
// subscription re-sent). Until then it retries dial failures and "server unavailable" with backoff
// until ctx is done; a CONNACK refusing the credentials, the client identifier or the protocol version
// is returned at once as a *ConnectError. If ctx ends first, the loop is stopped and Connect returns
// an error matching ctx.Err() (and the last attempt's error). Once connected, the loop keeps
// reconnecting until Disconnect. Calling Connect while the loop runs waits for the connection.
// When Connect returns nil, Options.OnEvent has been called with the EventConnected of the
// connection (unless ctx ended while it ran), so OnEvent must not itself call Connect.
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	r, starter := c.run, false
	if r == nil {
		starter = true
		r = &run{up: make(chan struct{})}
		r.ended.Add(1)
		c.run = r
		go c.loop(r, false)
	}
	c.mu.Unlock()

	select {
	case <-r.up:
		if err := c.runErr(r); err != nil {
			return err
		}
		// OnEvent has seen EventConnected when Connect returns: a
		// Transport marks itself online there.
		select {
		case <-c.events.wait():
		case <-ctx.Done():
		}
		return nil
	case <-ctx.Done():
		if isClosed(r.up) {
			return c.runErr(r)
		}
		if !starter {
			return fmt.Errorf("mqttx: connect: %w", ctx.Err())
		}
		if !c.abandonRun(r) {
			return c.runErr(r) // connected just now, or ended by itself
		}
		r.ended.Wait() // prompt; the loop leaves paho disconnected
		c.mu.Lock()
		last := r.lastErr
		c.mu.Unlock()
		if last != nil {
			return fmt.Errorf("mqttx: connect: %w; last attempt: %w", ctx.Err(), last)
		}
		return fmt.Errorf("mqttx: connect: %w", ctx.Err())
	}
}

// runErr is the outcome of run r's connecting, once r.up is closed: nil if
// it connected, else why it ended.
func (c *Client) runErr(r *run) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return r.err
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (c *Client) currentCredentials() (username, password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.creds.Username, c.creds.Password
}

// openConn is paho's dial hook: it dials with the current attempt's ctx.
func (c *Client) openConn(_ *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
	c.mu.Lock()
	ctx := c.attemptCtx
	c.mu.Unlock()
	if ctx == nil {
		return nil, errors.New("mqttx: dial outside a connection attempt")
	}
	var conn net.Conn
	var err error
	if c.opts.Dial != nil {
		conn, err = c.opts.Dial(ctx)
		if err == nil && conn == nil {
			err = errors.New("mqttx: Options.Dial returned no connection")
		}
	} else {
		conn, err = DialServer(ctx, c.opts.Server, c.opts.TLSConfig, c.opts.WebSocketHeader)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && ctx.Err() != nil {
		conn.Close()
		err = ctx.Err()
	}
	if err != nil {
		c.dialErr = err
		return nil, err
	}
	c.conn = conn
	// paho's WriteTimeout (enqueueTimeout) also bounds its writes: the
	// wrapper does that with a coarse deadline, re-armed at most once per
	// writeDeadlineSlack instead of twice per packet; reads are coalesced
	// (coalescingConn).
	return newDeadlineConn(newCoalescingConn(conn), enqueueTimeout), nil
}

// dropConnection ends an established connection through paho, so that
// paho's state follows: paho takes a read error on a connection closed
// underneath it ("use of closed network connection") for its own
// shutdown and would not report the loss until a ping timed out.
func (c *Client) dropConnection() {
	if c.paho.IsConnectionOpen() {
		c.paho.Disconnect(0)
		return
	}
	c.closeConn()
}

// closeConn closes the network connection of the current attempt or session, if any.
func (c *Client) closeConn() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Disconnect sends DISCONNECT, stops the reconnect loop and the subscription workers (cancelling the
// handlers' ctx) and waits until OnEvent has seen EventDisconnected. When it returns nil no goroutine
// of the client is left. If ctx ends first the connection is closed abruptly and Disconnect returns
// ctx's error once the network goroutines stopped (handlers or OnEvent ignoring their ctx may still
// run). The client cannot be used afterwards: later calls return ErrClosed.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	r := c.run
	parked := r != nil && r.parked
	if parked {
		r.parked = false // no goroutine to end it: ended here
	}
	subs := make([]*subscription, 0, c.subs.Len())
	for _, s := range c.subs.All() {
		subs = append(subs, s)
	}
	c.subs.Clear()
	c.mu.Unlock()

	c.lifeCancel()
	if r != nil {
		c.stopRun(r)
		if parked {
			c.endRun(r)
		}
		r.ended.Wait() // prompt
	}
	c.pahoDisconnect(ctx)
	for _, s := range subs {
		s.stop()
	}
	workersDone := make(chan struct{})
	go func() {
		c.workers.Wait()
		close(workersDone)
	}()
	select {
	case <-workersDone:
	case <-ctx.Done():
		return fmt.Errorf("mqttx: disconnect: waiting for handlers: %w", ctx.Err())
	}
	c.log.Info("mqttx: disconnected")
	c.events.emit(Event{Kind: EventDisconnected})
	select {
	case <-c.events.wait():
	case <-ctx.Done():
		return fmt.Errorf("mqttx: disconnect: waiting for OnEvent: %w", ctx.Err())
	}
	return nil
}

// pahoDisconnect sends DISCONNECT (if connected) and waits for paho's goroutines to stop.
func (c *Client) pahoDisconnect(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.paho.Disconnect(uint(disconnectQuiesce / time.Millisecond))
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.closeConn()
		<-done // bounded by disconnectQuiesce
	}
	c.mu.Lock()
	c.connected = false
	c.conn = nil
	c.mu.Unlock()
}
