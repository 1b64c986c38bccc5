package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/tether-iot/tether/internal/smallmap"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport/outbox"
)

// SubscribeQoS is the QoS tether subscribes with: both clouds deliver at
// most QoS 1, and commands must not be lost.
const SubscribeQoS byte = 1

// Options configure a Conn. Adapters fill them from their cloud's
// configuration; users rarely build them by hand.
type Options struct {
	// MQTT configures the underlying client. Conn takes over OnEvent
	// (use Watch); the adapter sets MaxFiltersPerSubscribe for its cloud.
	MQTT mqttx.Options
	// Dialect is the cloud's topic translation and limits. Required.
	Dialect Dialect
	// MaxConnectionAge, when positive, makes Conn reconnect gracefully
	// before a connection has been up this long: Azure SAS tokens expire
	// and cannot be renewed on a live MQTT connection.
	MaxConnectionAge time.Duration
	// Outbox configures the outbox that holds QoS 1 messages until the
	// cloud acknowledges them. The zero value is an in-memory outbox with
	// the outbox package's default bounds; set Dir to keep the messages
	// across restarts and crashes. OnDrop and OnDeadLetter report every
	// message that leaves it undelivered (OnDrop nil: logged at Warn).
	// Its Logger defaults to Logger.
	Outbox outbox.Options
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Conn is a Transport over an MQTT connection, for any cloud described by
// a Dialect. It validates every message against the cloud's rules before
// sending, paces publishes under the cloud's rate limits, and restores
// subscriptions on every reconnect.
//
// QoS 1 messages of Send and Enqueue go through an outbox (Options.Outbox)
// and are delivered at least once, in order: each message is published
// once the previous one was acknowledged, so the cloud receives the first
// copy of every message in the order it was queued; after a connection
// drop, the message that was in flight may arrive twice. Messages queued
// while offline are sent after reconnecting, paced under the cloud's rate
// limits. A message the cloud answers by dropping the connection is
// dead-lettered after Options.Outbox.QuarantineAfter drops, and the
// messages behind it carry on. Raw publishes and SendDirect do not use the
// outbox.
type Conn struct {
	client  *mqttx.Client
	dialect Dialect
	limits  Limits
	log     *slog.Logger
	maxAge  time.Duration

	msgLimit  *rate.Limiter // nil: unlimited
	byteLimit *rate.Limiter // nil: unlimited

	// The outbox (outbox_conn.go). An in-memory one is opened on first
	// use: most connections never queue anything.
	ob         atomic.Pointer[outbox.Outbox]
	obOpts     *outbox.Options // for the lazy open; nil for the defaults
	userOnDrop func(outbox.Record, error)
	acks       ackWaiters
	// checkedFrom is the Seq of the first record this Conn put (0 until
	// then): records from it on passed prepare. Older ones were read back
	// from a durable outbox, put by an earlier process under possibly other
	// limits, and sendRecord checks them again.
	checkedFrom atomic.Uint64

	// The outbox's sender: a goroutine that drains the outbox while
	// connected and something is queued, or a Send that publishes its own
	// record while the outbox was idle (outbox_conn.go).
	// (The flags are kept together: a gateway holds a Conn per device.)
	runMu     sync.Mutex
	online    bool               // from EventConnected to EventConnectionLost
	runActive bool               // the sender goroutine runs, or a Send sends
	runKicked bool               // records were put since it last looked
	runClosed bool               // Close: no more sending
	closed    bool               // Close was called; guarded by renewMu
	runCtx    context.Context    // the sending's context for this connection
	runCancel context.CancelFunc // cancels runCtx when the connection is lost
	runWG     sync.WaitGroup     // the sender goroutine and Sends sending

	// Cloud topics of recent canonical topics (prepare); made by the
	// first Send, so that a connection that never sends holds none.
	topics atomic.Pointer[topicCache]

	subMu  sync.Mutex // serializes subscription changes (they wait on the network)
	mu     sync.Mutex
	routes smallmap.Map[*route] // by cloud filter

	watchMu  sync.Mutex
	watchers []watcher // in Watch order; copy on write, so onEvent reads it unlocked
	nextID   int

	renewMu     sync.Mutex
	renewTimer  *time.Timer
	renewCancel context.CancelFunc
	renewing    sync.WaitGroup // an armed or running renewal; Close waits for it
}

// route is one cloud subscription: either raw (one handler, cloud topics)
// or canonical (handlers by canonical filter, canonical topics).
type route struct {
	raw       Handler
	canonical []canonicalRoute
}

type canonicalRoute struct {
	filter string
	h      Handler
}

// watcher is a function registered with Watch.
type watcher struct {
	id int
	fn func(Event)
}

var _ Transport = (*Conn)(nil)

// NewConn builds a Conn and opens its outbox: with Options.Outbox.Dir set
// it reads back the messages a previous process left there (they are sent
// once connected). It does no network I/O; call Connect.
func NewConn(opts Options) (*Conn, error) {
	if opts.Dialect == nil {
		return nil, &ConfigError{Setting: "Dialect", Reason: "required"}
	}
	c := &Conn{
		dialect: opts.Dialect,
		limits:  opts.Dialect.Limits(),
		log:     opts.Logger,
		maxAge:  opts.MaxConnectionAge,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if r := c.limits.PublishRate; r > 0 {
		// A tenth of a second's worth of burst keeps the rate smooth, so a
		// burst cannot exceed the cloud's per-second budget at a window edge.
		c.msgLimit = rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r/10))))
	}
	if r := c.limits.ByteRate; r > 0 {
		c.byteLimit = rate.NewLimiter(rate.Limit(r), max(r/10, c.limits.MaxPayload, 1))
	}
	mo := opts.MQTT
	if mo.Logger == nil {
		mo.Logger = opts.Logger
	}
	mo.OnEvent = c.onEvent
	client, err := mqttx.New(mo)
	if err != nil {
		return nil, err
	}
	c.client = client
	if err := c.openOutbox(opts.Outbox); err != nil {
		return nil, err
	}
	return c, nil
}

// Info describes the connection.
func (c *Conn) Info() Info { return c.dialect.Info() }

// Connect connects and keeps the connection up until Close.
func (c *Conn) Connect(ctx context.Context) error {
	return c.client.Connect(ctx)
}

// Close disconnects, closes the outbox and stops every goroutine Conn
// started. Messages still queued in a durable outbox stay on disk for the
// next process (their waiting Sends return ErrQueued); those of an
// in-memory outbox are reported to Options.Outbox.OnDrop with
// outbox.ErrClosed.
func (c *Conn) Close(ctx context.Context) error {
	c.renewMu.Lock()
	c.closed = true
	if c.renewTimer != nil && c.renewTimer.Stop() {
		c.renewing.Done() // it will not run
	}
	c.renewTimer = nil
	if c.renewCancel != nil {
		c.renewCancel()
	}
	c.renewMu.Unlock()
	c.stopSending()
	err := c.client.Disconnect(ctx)
	// A renewal already running ends with the client (ErrClosed) or its
	// cancelled ctx; Close returns only once it has.
	c.renewing.Wait()
	if oerr := c.closeOutbox(); err == nil {
		err = oerr
	}
	return err
}

// IsConnected reports whether the connection is up now.
func (c *Conn) IsConnected() bool { return c.client.IsConnected() }

// Send publishes a device-to-cloud message on a canonical topic. The
// message is checked against the cloud's rules first: an invalid one
// fails with its typed error and is never queued.
//
// A QoS 1 message goes through the outbox: Send returns nil once the
// cloud acknowledged it. If ctx ends first (for instance while the device
// is offline) the message stays queued and is delivered after
// reconnecting: Send then returns an error matching both ErrQueued and
// ctx.Err(). If the message leaves the outbox undelivered (full, expired,
// dead-lettered), Send returns the reason given to
// Options.Outbox.OnDrop. If ctx is already done, nothing is queued. A
// connected Send with nothing queued publishes at once and records the
// message in the outbox (on disk, for a durable one) while the publish is
// under way: by the time Send returns ErrQueued it is recorded.
//
// A QoS 0 message is published at once while connected; while offline it
// follows Options.Outbox.QoS0: dropped (the error matches
// mqttx.ErrNotConnected, and OnDrop is told) or queued like QoS 1. QoS 2,
// where the cloud allows it, is published directly.
func (c *Conn) Send(ctx context.Context, msg Message) error {
	topic, err := c.prepare(msg)
	if err != nil {
		return err
	}
	if msg.QoS == 1 || (msg.QoS == 0 && !c.client.IsConnected()) {
		return c.sendQueued(ctx, topic, msg)
	}
	return c.publishChecked(ctx, topic, msg.Payload, msg.QoS)
}

// SendDirect publishes a canonical message at once, bypassing the outbox:
// it is checked and paced as by Send, but never queued, so it is not
// replayed after a reconnect and not ordered behind queued messages.
// Without a connection it fails with an error matching
// mqttx.ErrNotConnected. A QoS 1 SendDirect returns once the cloud
// acknowledged the message, or with ctx's error; in that case the
// connection may still read msg.Payload, so do not modify it. (The same
// holds for a QoS 0 Send; Send and Enqueue copy what they queue.)
//
// It is for messages whose loss the sender recovers from by itself and
// that are worthless late, such as command responses: the application
// retries with the same transaction id and the device's deduplication
// answers the retry, while a response replayed after a reconnect would
// arrive after the application gave up on it.
func (c *Conn) SendDirect(ctx context.Context, msg Message) error {
	topic, err := c.prepare(msg)
	if err != nil {
		return err
	}
	return c.publishChecked(ctx, topic, msg.Payload, msg.QoS)
}

// prepare validates a canonical message and returns its cloud topic,
// checked against the cloud's rules.
func (c *Conn) prepare(msg Message) (string, error) {
	plain := msg.Properties.IsZero()
	topic, known := "", false
	tc := c.topics.Load()
	if plain && tc != nil {
		topic, known = tc.get(msg.Topic)
	}
	if !known {
		if err := ValidateTopic(msg.Topic); err != nil {
			return "", err
		}
		var err error
		if topic, err = c.dialect.PublishTopic(msg); err != nil {
			return "", err
		}
	}
	if err := c.dialect.CheckPublish(topic, msg.Payload, msg.QoS); err != nil {
		return "", err
	}
	if plain && !known {
		if tc == nil {
			c.topics.CompareAndSwap(nil, new(topicCache))
			tc = c.topics.Load()
		}
		tc.put(msg.Topic, topic)
	}
	return topic, nil
}

// PublishRaw publishes on one of the cloud's own topics, after the same
// checks as Send. It does not use the outbox: the services that publish
// raw (shadow, twin, direct methods) resynchronise after a reconnect, and
// replaying their stale requests or responses would be wrong. Without a
// connection it fails with mqttx.ErrNotConnected. As with SendDirect,
// payload must not be modified after PublishRaw returned with ctx's error.
func (c *Conn) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := c.dialect.CheckPublish(topic, payload, qos); err != nil {
		return err
	}
	return c.publishChecked(ctx, topic, payload, qos)
}

// publishChecked paces and publishes a message that passed CheckPublish.
func (c *Conn) publishChecked(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := c.pace(ctx, len(payload)); err != nil {
		return err
	}
	return c.client.Publish(ctx, topic, payload, qos, false)
}

// pace waits until the cloud's rate limits allow one more publish of n
// payload bytes.
func (c *Conn) pace(ctx context.Context, n int) error {
	if c.msgLimit != nil {
		if err := c.msgLimit.Wait(ctx); err != nil {
			return fmt.Errorf("transport: waiting for the publish rate limit: %w", ctxErr(ctx, err))
		}
	}
	if c.byteLimit != nil && n > 0 {
		if err := waitBytes(ctx, c.byteLimit, n); err != nil {
			return fmt.Errorf("transport: waiting for the byte rate limit: %w", err)
		}
	}
	return nil
}

// waitBytes waits until lim allows n more bytes. A payload larger than the
// limiter's burst is waited for in burst-sized parts, so that it is paced
// at the configured rate rather than passing for the price of one burst.
// When the whole wait would outlast ctx's deadline, it fails at once and
// consumes nothing.
func waitBytes(ctx context.Context, lim *rate.Limiter, n int) error {
	if deadline, ok := ctx.Deadline(); ok {
		now := time.Now()
		if short := float64(n) - lim.TokensAt(now); short > 0 {
			wait := time.Duration(short / float64(lim.Limit()) * float64(time.Second))
			if deadline.Before(now.Add(wait)) {
				return fmt.Errorf("would wait %v, past the context's deadline: %w", wait.Round(time.Millisecond), context.DeadlineExceeded)
			}
		}
	}
	// Parts are waited for one after the other (reserving them all at once
	// and cancelling them in reverse does not give all the tokens back:
	// rate's cancellation is subject to rounding).
	burst := max(lim.Burst(), 1)
	for n > 0 {
		k := min(n, burst)
		if err := lim.WaitN(ctx, k); err != nil {
			return ctxErr(ctx, err)
		}
		n -= k
	}
	return nil
}

// ctxErr prefers the context's own error: rate.Limiter reports a deadline
// it cannot meet with an error of its own before ctx is done.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := ctx.Deadline(); ok {
		return errors.Join(context.DeadlineExceeded, err)
	}
	return err
}

// Handle routes canonical cloud-to-device messages matching filter to h.
// Handling the same filter again replaces its handler.
func (c *Conn) Handle(ctx context.Context, filter string, h Handler) error {
	if h == nil {
		return errors.New("transport: Handle: nil handler")
	}
	if err := ValidateFilter(filter); err != nil {
		return err
	}
	cloudFilter, err := c.dialect.SubscribeFilter(filter)
	if err != nil {
		return err
	}
	if err := c.dialect.CheckSubscribe(cloudFilter, SubscribeQoS); err != nil {
		return err
	}
	return c.subscribe(ctx, cloudFilter, SubscribeQoS, func(r *route) error {
		if r.raw != nil {
			return fmt.Errorf("transport: cloud filter %q is already subscribed raw", cloudFilter)
		}
		// Copy on write: dispatchers read r.canonical without copying it.
		routes := make([]canonicalRoute, 0, len(r.canonical)+1)
		replaced := false
		for _, cr := range r.canonical {
			if cr.filter == filter {
				cr.h, replaced = h, true
			}
			routes = append(routes, cr)
		}
		if !replaced {
			routes = append(routes, canonicalRoute{filter: filter, h: h})
		}
		r.canonical = routes
		return nil
	})
}

// SubscribeRaw subscribes to one of the cloud's own filters.
// Subscribing the same filter again replaces its handler.
func (c *Conn) SubscribeRaw(ctx context.Context, filter string, qos byte, h Handler) error {
	if h == nil {
		return errors.New("transport: SubscribeRaw: nil handler")
	}
	if err := c.dialect.CheckSubscribe(filter, qos); err != nil {
		return err
	}
	return c.subscribe(ctx, filter, qos, func(r *route) error {
		if len(r.canonical) > 0 {
			return fmt.Errorf("transport: cloud filter %q already carries canonical messages", filter)
		}
		r.raw = h
		return nil
	})
}

// subscribe adds a route on a checked cloudFilter, subscribing it when it
// is new; a new route is removed again if the subscription fails.
func (c *Conn) subscribe(ctx context.Context, cloudFilter string, qos byte, add func(*route) error) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()

	c.mu.Lock()
	r, exists := c.routes.Get(cloudFilter)
	n := c.routes.Len()
	if exists {
		err := add(r)
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()

	if max := c.limits.MaxSubscriptions; max > 0 && n >= max {
		return &LimitError{Kind: ErrTooManySubscriptions, Cloud: c.dialect.Info().Cloud,
			Limit: "subscriptions", Value: n + 1, Max: max}
	}
	r = &route{}
	if err := add(r); err != nil {
		return err
	}
	// Publish the route before subscribing: a retained or queued message
	// may arrive before SUBACK is processed.
	c.mu.Lock()
	c.routes.Set(cloudFilter, r)
	c.mu.Unlock()
	if err := c.client.Subscribe(ctx, cloudFilter, qos, c.dispatcher(cloudFilter)); err != nil {
		c.mu.Lock()
		c.routes.Delete(cloudFilter)
		c.mu.Unlock()
		return err
	}
	return nil
}

// UnsubscribeRaw removes a subscription made with SubscribeRaw.
func (c *Conn) UnsubscribeRaw(ctx context.Context, filter string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	c.mu.Lock()
	_, ok := c.routes.Get(filter)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if err := c.client.Unsubscribe(ctx, filter); err != nil {
		return err
	}
	c.mu.Lock()
	c.routes.Delete(filter)
	c.mu.Unlock()
	return nil
}

// dispatcher returns the mqttx handler of one cloud subscription. It runs
// on that subscription's worker, so messages stay in order.
func (c *Conn) dispatcher(cloudFilter string) mqttx.Handler {
	return func(ctx context.Context, m mqttx.Message) {
		c.mu.Lock()
		r, _ := c.routes.Get(cloudFilter)
		var raw Handler
		var canon []canonicalRoute
		if r != nil {
			raw, canon = r.raw, r.canonical
		}
		c.mu.Unlock()

		msg := Message{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Duplicate: m.Duplicate}
		if raw != nil {
			raw(ctx, msg)
			return
		}
		cm, ok := c.dialect.Incoming(msg)
		if !ok {
			c.log.Debug("transport: dropped a message on a topic that is not canonical", "topic", m.Topic)
			return
		}
		for _, cr := range canon {
			if mqttx.MatchTopic(cr.filter, cm.Topic) {
				cr.h(ctx, cm)
			}
		}
	}
}

// Watch calls fn for every connection event, in order, on the transport's
// event goroutine. fn must not block for long: start a goroutine for work
// that waits on the network. stop removes fn.
func (c *Conn) Watch(fn func(Event)) (stop func()) {
	c.watchMu.Lock()
	id := c.nextID
	c.nextID++
	c.watchers = append(slices.Clip(c.watchers), watcher{id: id, fn: fn})
	c.watchMu.Unlock()
	return func() {
		c.watchMu.Lock()
		defer c.watchMu.Unlock()
		if i := slices.IndexFunc(c.watchers, func(w watcher) bool { return w.id == id }); i >= 0 {
			c.watchers = slices.Delete(slices.Clone(c.watchers), i, i+1)
		}
	}
}

func (c *Conn) onEvent(ev Event) {
	switch ev.Kind {
	case EventConnected:
		c.scheduleRenewal()
		c.goOnline()
	case EventConnectionLost:
		c.connectionLost(ev.Err)
	case EventSubscribeFailed:
		c.dropRoute(ev.Filter)
	}
	c.watchMu.Lock()
	watchers := c.watchers
	c.watchMu.Unlock()
	for _, w := range watchers {
		w.fn(ev)
	}
}

// dropRoute forgets the route of a cloud filter the broker refused on
// re-subscribe (mqttx dropped it from its registry): it no longer counts
// against MaxSubscriptions, and the next Handle or SubscribeRaw subscribes
// it afresh.
func (c *Conn) dropRoute(cloudFilter string) {
	c.mu.Lock()
	c.routes.Delete(cloudFilter)
	c.mu.Unlock()
	c.log.Warn("transport: the broker refused a subscription on reconnect", "filter", cloudFilter)
}

// scheduleRenewal arms the graceful reconnect that keeps a connection
// younger than MaxConnectionAge.
func (c *Conn) scheduleRenewal() {
	if c.maxAge <= 0 {
		return
	}
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	if c.closed {
		return
	}
	if c.renewTimer != nil && c.renewTimer.Stop() {
		c.renewing.Done() // replaced before it ran
	}
	c.renewing.Add(1)
	c.renewTimer = time.AfterFunc(c.maxAge, c.renew)
}

func (c *Conn) renew() {
	defer c.renewing.Done()
	c.renewMu.Lock()
	if c.closed {
		c.renewMu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), mqttx.DefaultConnectTimeout)
	c.renewCancel = cancel
	c.renewMu.Unlock()
	defer cancel()
	c.log.Info("transport: reconnecting before the connection's credentials expire")
	if err := c.client.Reconnect(ctx); err != nil && !errors.Is(err, mqttx.ErrClosed) {
		c.log.Warn("transport: graceful reconnect failed; the reconnect loop takes over", "err", err)
	}
}
