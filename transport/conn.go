package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tether-iot/tether/mqttx"
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
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Conn is a Transport over an MQTT connection, for any cloud described by
// a Dialect. It validates every message against the cloud's rules before
// sending, paces publishes under the cloud's rate limits, and restores
// subscriptions on every reconnect.
type Conn struct {
	client  *mqttx.Client
	dialect Dialect
	limits  Limits
	log     *slog.Logger
	maxAge  time.Duration

	msgLimit  *rate.Limiter // nil: unlimited
	byteLimit *rate.Limiter // nil: unlimited

	subMu  sync.Mutex // serializes subscription changes (they wait on the network)
	mu     sync.Mutex
	routes map[string]*route // by cloud filter

	watchMu  sync.Mutex
	watchers map[int]func(Event)
	nextID   int

	renewMu     sync.Mutex
	renewTimer  *time.Timer
	closed      bool
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

var _ Transport = (*Conn)(nil)

// NewConn builds a Conn. It does no I/O; call Connect.
func NewConn(opts Options) (*Conn, error) {
	if opts.Dialect == nil {
		return nil, &ConfigError{Setting: "Dialect", Reason: "required"}
	}
	c := &Conn{
		dialect:  opts.Dialect,
		limits:   opts.Dialect.Limits(),
		log:      opts.Logger,
		maxAge:   opts.MaxConnectionAge,
		routes:   make(map[string]*route),
		watchers: make(map[int]func(Event)),
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
	return c, nil
}

// Info describes the connection.
func (c *Conn) Info() Info { return c.dialect.Info() }

// Connect connects and keeps the connection up until Close.
func (c *Conn) Connect(ctx context.Context) error {
	return c.client.Connect(ctx)
}

// Close disconnects and stops every goroutine Conn started.
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
	err := c.client.Disconnect(ctx)
	// A renewal already running ends with the client (ErrClosed) or its
	// cancelled ctx; Close returns only once it has.
	c.renewing.Wait()
	return err
}

// IsConnected reports whether the connection is up now.
func (c *Conn) IsConnected() bool { return c.client.IsConnected() }

// Send publishes a device-to-cloud message on a canonical topic.
func (c *Conn) Send(ctx context.Context, msg Message) error {
	if err := ValidateTopic(msg.Topic); err != nil {
		return err
	}
	topic, err := c.dialect.PublishTopic(msg)
	if err != nil {
		return err
	}
	return c.publish(ctx, topic, msg.Payload, msg.QoS)
}

// PublishRaw publishes on one of the cloud's own topics, after the same
// checks as Send.
func (c *Conn) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	return c.publish(ctx, topic, payload, qos)
}

func (c *Conn) publish(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := c.dialect.CheckPublish(topic, payload, qos); err != nil {
		return err
	}
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
	return c.subscribe(ctx, cloudFilter, func(r *route) error {
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
	return c.subscribeQoS(ctx, filter, qos, func(r *route) error {
		if len(r.canonical) > 0 {
			return fmt.Errorf("transport: cloud filter %q already carries canonical messages", filter)
		}
		r.raw = h
		return nil
	})
}

func (c *Conn) subscribe(ctx context.Context, cloudFilter string, add func(*route) error) error {
	if err := c.dialect.CheckSubscribe(cloudFilter, SubscribeQoS); err != nil {
		return err
	}
	return c.subscribeQoS(ctx, cloudFilter, SubscribeQoS, add)
}

// subscribeQoS adds a route on cloudFilter, subscribing it first when it is
// new. The route table changes only once the broker has granted the filter.
func (c *Conn) subscribeQoS(ctx context.Context, cloudFilter string, qos byte, add func(*route) error) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()

	c.mu.Lock()
	r, exists := c.routes[cloudFilter]
	n := len(c.routes)
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
	c.routes[cloudFilter] = r
	c.mu.Unlock()
	if err := c.client.Subscribe(ctx, cloudFilter, qos, c.dispatcher(cloudFilter)); err != nil {
		c.mu.Lock()
		delete(c.routes, cloudFilter)
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
	_, ok := c.routes[filter]
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if err := c.client.Unsubscribe(ctx, filter); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.routes, filter)
	c.mu.Unlock()
	return nil
}

// dispatcher returns the mqttx handler of one cloud subscription. It runs
// on that subscription's worker, so messages stay in order.
func (c *Conn) dispatcher(cloudFilter string) mqttx.Handler {
	return func(ctx context.Context, m mqttx.Message) {
		c.mu.Lock()
		r := c.routes[cloudFilter]
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
	c.watchers[id] = fn
	c.watchMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.watchMu.Lock()
			delete(c.watchers, id)
			c.watchMu.Unlock()
		})
	}
}

func (c *Conn) onEvent(ev Event) {
	switch ev.Kind {
	case EventConnected:
		c.scheduleRenewal()
	case EventSubscribeFailed:
		c.dropRoute(ev.Filter)
	}
	c.watchMu.Lock()
	fns := make([]func(Event), 0, len(c.watchers))
	for i := 0; i < c.nextID; i++ {
		if fn, ok := c.watchers[i]; ok {
			fns = append(fns, fn)
		}
	}
	c.watchMu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// dropRoute forgets the route of a cloud filter the broker refused on
// re-subscribe (mqttx dropped it from its registry): it no longer counts
// against MaxSubscriptions, and the next Handle or SubscribeRaw subscribes
// it afresh.
func (c *Conn) dropRoute(cloudFilter string) {
	c.mu.Lock()
	delete(c.routes, cloudFilter)
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
