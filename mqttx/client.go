package mqttx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/tether-iot/tether/internal/backoff"
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
// subscription are handled in order. ctx is cancelled when the client is disconnected for good
// (Disconnect).
type Handler func(ctx context.Context, msg Message)

const (
	// disconnectQuiesce is how long Disconnect lets the DISCONNECT packet be written.
	disconnectQuiesce = time.Second
	// enqueueTimeout bounds paho's hand-off of a packet to its writer (paho has no ctx there): it only
	// matters when the connection is stalled.
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

	// lostNotify is poked (never blocking) by paho's connection-lost callback.
	lostNotify chan struct{}

	// life is cancelled by Disconnect: the handlers' ctx.
	life       context.Context
	lifeCancel context.CancelFunc

	workers sync.WaitGroup // subscription workers

	mu        sync.Mutex
	closed    bool
	run       *run // the reconnect loop, nil while idle
	connected bool // a paho connection is up (set on CONNACK, cleared on loss)
	subs      map[string]*subscription
	lostErr   error // reason of the last connection loss
	// Per attempt: read by paho's callbacks, which cannot take a ctx.
	attemptCtx context.Context
	creds      Credentials
	dialErr    error
	conn       net.Conn // the connection of the current attempt or session

	// Graceful reconnect (Reconnect): renewing is non-nil while one runs
	// and is closed when it ends; reconnectNow tells the loop to skip the
	// backoff; ups counts successful connections.
	renewing     chan struct{}
	reconnectNow bool
	ups          uint64
	inflight     int // QoS>0 publishes waiting for their acknowledgement
}

// run is one execution of the reconnect loop, started by Connect.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
	up     chan struct{} // closed when first connected (registry re-subscribed)
	done   chan struct{} // closed when the loop has exited
	// Guarded by Client.mu.
	err     error // why the loop gave up before connecting
	lastErr error // the last attempt's error
}

// New validates opts and returns a client. It does no I/O and starts no goroutine.
func New(opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:       o,
		log:        o.Logger.With(slog.String("client_id", o.ClientID)),
		policy:     backoff.Policy{Min: o.MinBackoff, Max: o.MaxBackoff},
		events:     eventQueue{fn: o.OnEvent},
		lostNotify: make(chan struct{}, 1),
		subs:       make(map[string]*subscription),
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
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	r, starter := c.run, false
	if r == nil {
		starter = true
		r = &run{up: make(chan struct{}), done: make(chan struct{})}
		// Not derived from c.life: Disconnect cancels the run it finds under c.mu itself, and a
		// child would leave a map of children in c.life for the client's lifetime.
		r.ctx, r.cancel = context.WithCancel(context.Background())
		c.run = r
		go c.loop(r)
	}
	c.mu.Unlock()

	select {
	case <-r.up:
		return nil
	case <-r.done:
		if isClosed(r.up) {
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return r.err
	case <-ctx.Done():
		if isClosed(r.up) {
			return nil
		}
		if !starter {
			return fmt.Errorf("mqttx: connect: %w", ctx.Err())
		}
		r.cancel()
		<-r.done // prompt: every wait in the loop honours r.ctx; the loop leaves paho disconnected
		c.mu.Lock()
		last := r.lastErr
		c.mu.Unlock()
		if last != nil {
			return fmt.Errorf("mqttx: connect: %w; last attempt: %w", ctx.Err(), last)
		}
		return fmt.Errorf("mqttx: connect: %w", ctx.Err())
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// loop connects, waits for the connection to drop and reconnects with full-jitter backoff.
func (c *Client) loop(r *run) {
	defer func() {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			// Connect gave up (ctx or refusal): leave paho disconnected for the next Connect.
			// (Disconnect does this itself, bounded by its ctx.)
			c.pahoDisconnect(context.Background())
		}
		c.mu.Lock()
		if c.run == r {
			c.run = nil
		}
		c.connected = false
		if r.err == nil && !isClosed(r.up) {
			r.err = ErrClosed
			if !c.closed {
				r.err = fmt.Errorf("mqttx: connect: %w", context.Cause(r.ctx))
			}
		}
		c.mu.Unlock()
		close(r.done)
	}()
	attempt := 0
	for {
		attempt++
		c.events.emit(Event{Kind: EventConnecting, Attempt: attempt})
		c.log.Debug("mqttx: connecting", slog.Int("attempt", attempt), slog.String("server", redactURL(c.opts.Server)))
		sessionPresent, err := c.connectOnce(r.ctx)
		if err == nil {
			err = c.resubscribe(r.ctx)
			if err != nil {
				c.dropConnection() // unusable; reported as a failed attempt below
			}
		}
		if r.ctx.Err() != nil {
			return
		}
		if err == nil {
			upAt := time.Now()
			if !isClosed(r.up) {
				close(r.up)
			}
			c.log.Info("mqttx: connected", slog.Int("attempt", attempt), slog.Bool("session_present", sessionPresent))
			c.events.emit(Event{Kind: EventConnected, Attempt: attempt, SessionPresent: sessionPresent})
			lost, ok := c.waitLost(r.ctx)
			if !ok {
				return
			}
			if time.Since(upAt) >= c.opts.BackoffResetAfter {
				attempt = 0
			}
			c.mu.Lock()
			requested := c.reconnectNow
			c.reconnectNow = false
			c.mu.Unlock()
			if requested {
				attempt = 0
				c.log.Info("mqttx: reconnecting on request")
				c.events.emit(Event{Kind: EventConnectionLost, Err: lost})
				continue
			}
			delay := c.policy.Delay(max(attempt, 1))
			c.log.Warn("mqttx: connection lost", slog.Any("err", lost), slog.Duration("retry_in", delay))
			c.events.emit(Event{Kind: EventConnectionLost, Attempt: attempt, Err: lost, Delay: delay})
			if !sleep(r.ctx, delay) {
				return
			}
			continue
		}
		if err2 := c.waitDown(r.ctx); err2 != nil {
			return
		}
		var ce *ConnectError
		if !isClosed(r.up) && errors.As(err, &ce) && ce.Permanent() {
			c.mu.Lock()
			r.err, r.lastErr = err, err
			c.mu.Unlock()
			c.log.Warn("mqttx: connection refused", slog.Int("attempt", attempt), slog.Any("err", err))
			c.events.emit(Event{Kind: EventConnectFailed, Attempt: attempt, Err: err})
			return
		}
		c.mu.Lock()
		r.lastErr = err
		c.mu.Unlock()
		delay := c.policy.Delay(attempt)
		c.log.Warn("mqttx: connect failed", slog.Int("attempt", attempt), slog.Any("err", err), slog.Duration("retry_in", delay))
		c.events.emit(Event{Kind: EventConnectFailed, Attempt: attempt, Err: err, Delay: delay})
		if !sleep(r.ctx, delay) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// connectOnce makes one connection attempt: credentials, dial, CONNECT/CONNACK.
func (c *Client) connectOnce(ctx context.Context) (sessionPresent bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	creds := Credentials{Username: c.opts.Username, Password: c.opts.Password}
	if c.opts.Credentials != nil {
		if creds, err = c.opts.Credentials(actx); err != nil {
			return false, fmt.Errorf("mqttx: credentials: %w", err)
		}
	}
	c.mu.Lock()
	c.attemptCtx, c.creds, c.dialErr, c.conn = actx, creds, nil, nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.attemptCtx = nil
		c.creds = Credentials{} // do not keep the secret around longer than needed
		c.mu.Unlock()
	}()

	var tok *mqtt.ConnectToken
	for {
		tok = c.paho.Connect().(*mqtt.ConnectToken)
		select {
		case <-tok.Done():
		case <-actx.Done():
			c.closeConn() // the dial honours actx; closing fails the CONNECT/CONNACK exchange at once
			<-tok.Done()
		}
		if err := tok.Error(); err != nil && isStatusRace(err) && actx.Err() == nil {
			// paho is still tearing down the previous connection.
			if !sleep(actx, statusRetry) {
				break
			}
			continue
		}
		break
	}

	rc := tok.ReturnCode()
	c.mu.Lock()
	dialErr := c.dialErr
	c.mu.Unlock()
	switch {
	case tok.Error() == nil && rc == packets.Accepted && actx.Err() == nil:
		c.mu.Lock()
		c.connected = true
		c.ups++
		for _, s := range c.subs {
			s.sent = false
		}
		c.mu.Unlock()
		return tok.SessionPresent(), nil
	case tok.Error() == nil && rc == packets.Accepted:
		// Connected just as the attempt was abandoned: drop the connection.
		c.dropConnection()
		return false, fmt.Errorf("mqttx: connect: %w", actx.Err())
	case rc != packets.Accepted && rc < packets.ErrNetworkError:
		return false, &ConnectError{Code: rc}
	case ctx.Err() != nil:
		return false, fmt.Errorf("mqttx: connect: %w", ctx.Err())
	case actx.Err() != nil:
		return false, fmt.Errorf("mqttx: connect: no CONNACK within %v: %w", c.opts.ConnectTimeout, actx.Err())
	case dialErr != nil:
		return false, fmt.Errorf("mqttx: connect: %w", dialErr)
	default:
		return false, fmt.Errorf("mqttx: connect: %w", tok.Error())
	}
}

// isStatusRace reports paho's refusal to connect while its status has not yet returned to
// "disconnected" (it completes a failed connect token before updating its status).
func isStatusRace(err error) bool {
	s := err.Error()
	return strings.Contains(s, "status is already connected or reconnecting") ||
		strings.Contains(s, "status can only transition to connecting from disconnected")
}

// waitLost waits until the current connection is lost (ok) or ctx is done (!ok).
func (c *Client) waitLost(ctx context.Context) (reason error, ok bool) {
	for {
		select {
		case <-c.lostNotify:
			if c.paho.IsConnectionOpen() {
				continue // a late notification about an earlier connection
			}
			c.mu.Lock()
			c.connected = false
			reason = c.lostErr
			if c.reconnectNow {
				reason = ErrReconnectRequested
			}
			c.mu.Unlock()
			if reason == nil {
				reason = ErrConnectionLost
			}
			return fmt.Errorf("%w: %w", ErrConnectionLost, reason), true
		case <-ctx.Done():
			return nil, false
		}
	}
}

// waitDown waits, after a failed attempt, until paho no longer holds a connection (an attempt
// abandoned just as it succeeded leaves one being torn down).
func (c *Client) waitDown(ctx context.Context) error {
	for c.paho.IsConnectionOpen() {
		if !sleep(ctx, statusRetry) {
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.connected = false
	c.mu.Unlock()
	return nil
}

// onConnectionLost is paho's connection-lost callback (on a goroutine of paho's).
func (c *Client) onConnectionLost(_ mqtt.Client, err error) {
	c.mu.Lock()
	c.lostErr = err
	c.mu.Unlock()
	select {
	case c.lostNotify <- struct{}{}:
	default:
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
	// writeDeadlineSlack instead of twice per packet.
	return newDeadlineConn(conn, enqueueTimeout), nil
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
	subs := make([]*subscription, 0, len(c.subs))
	for _, s := range c.subs {
		subs = append(subs, s)
	}
	clear(c.subs)
	c.mu.Unlock()

	c.lifeCancel()
	if r != nil {
		r.cancel()
		<-r.done // prompt: every wait in the loop honours r.ctx
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

// Publish sends an application message. QoS 0 returns once the message is handed to the connection;
// QoS 1 and 2 return when the server acknowledged it or ctx is done. Without a connection it returns
// ErrNotConnected at once (queueing belongs to the layer above).
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	tok, counted, err := c.startPublish(ctx, topic, payload, qos, retain)
	if err != nil {
		return err
	}
	if counted {
		defer c.endPublish()
	}
	return publishResult(topic, waitToken(ctx, tok))
}

// PublishAsync hands an application message to the connection and returns
// without waiting for the server's acknowledgement: the caller can stop
// waiting (its ctx ended) while the publish goes on, or have several in
// flight. ctx bounds only the hand-off, which waits while Reconnect
// replaces the connection. Errors are those of Publish. Call the result's
// Wait: until it first returns, a QoS 1 or 2 publish counts as in flight,
// and Reconnect lets it finish before replacing the connection.
func (c *Client) PublishAsync(ctx context.Context, topic string, payload []byte, qos byte, retain bool) (*Publication, error) {
	tok, counted, err := c.startPublish(ctx, topic, payload, qos, retain)
	if err != nil {
		return nil, err
	}
	return &Publication{c: c, tok: tok, topic: topic, counted: counted}, nil
}

// startPublish validates a publish and hands it to paho. counted reports
// that it is in flight for Reconnect: the caller calls endPublish after
// waiting.
func (c *Client) startPublish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) (tok mqtt.Token, counted bool, err error) {
	if !plainTopicName(topic) {
		if err := ValidateTopicName(topic); err != nil {
			return nil, false, err
		}
	}
	if qos > 2 {
		return nil, false, ErrInvalidQoS
	}
	closed, connected, err := c.beginPublish(ctx, qos)
	switch {
	case err != nil:
		return nil, false, err
	case closed:
		return nil, false, ErrClosed
	case !connected:
		return nil, false, ErrNotConnected
	}
	if payload == nil {
		payload = []byte{}
	}
	return c.paho.Publish(topic, qos, retain, payload), qos > 0, nil
}

// publishResult describes the outcome of a publish to topic.
func publishResult(topic string, err error) error {
	if err != nil {
		return fmt.Errorf("mqttx: publish to %q: %w", topic, err)
	}
	return nil
}

// Publication is a publish handed to the connection by PublishAsync.
type Publication struct {
	c       *Client
	tok     mqtt.Token
	topic   string
	counted bool
	ended   atomic.Bool
}

// Done is closed once the publish is complete: acknowledged by the server
// (QoS 0: written), or failed.
func (p *Publication) Done() <-chan struct{} { return p.tok.Done() }

// Wait waits until the publish is complete or ctx is done, and returns
// its outcome as Publish does. After the first Wait returns, the publish
// no longer holds up Reconnect, as with a Publish whose ctx ended.
func (p *Publication) Wait(ctx context.Context) error {
	err := waitToken(ctx, p.tok)
	if p.counted && p.ended.CompareAndSwap(false, true) {
		p.c.endPublish()
	}
	return publishResult(p.topic, err)
}

// plainTopicName reports, in one pass, whether topic is a valid topic name
// of printable ASCII: the common case, which then needs no
// ValidateTopicName (three passes).
func plainTopicName(topic string) bool {
	if topic == "" || len(topic) > MaxTopicLength {
		return false
	}
	for i := 0; i < len(topic); i++ {
		if c := topic[i]; c == 0 || c >= utf8.RuneSelf || c == '+' || c == '#' {
			return false // let ValidateTopicName decide
		}
	}
	return true
}

// waitToken waits for a paho token or ctx and maps paho's errors to mqttx's.
func waitToken(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return ctx.Err()
	}
	err := tok.Error()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mqtt.ErrNotConnected):
		return ErrNotConnected
	case strings.Contains(err.Error(), "connection lost"):
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return err
}
