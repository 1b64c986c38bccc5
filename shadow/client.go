package shadow

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tether-iot/tether/internal/shadowdoc"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

// requestQoS is the QoS of requests and subscriptions: AWS IoT Core
// supports at most 1, and a lost request would only time out.
const requestQoS byte = 1

// Client is the device's side of one AWS IoT Device Shadow (the classic
// shadow of the transport's thing, or a named one). It is safe for
// concurrent use.
type Client struct {
	t      transport.Transport
	cfg    config
	thing  string
	topics topics
	subs   []string // filters subscribed by New, unsubscribed by Close

	slots chan struct{} // one per request in flight

	ctx       context.Context // cancelled by Close: ends the goroutines and handler ctxs
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	stopWatch func()
	resyncC   chan struct{} // a GET is wanted (capacity 1: requests coalesce)
	wakeC     chan struct{} // the handler queue has work (capacity 1)

	mu          sync.Mutex
	closed      bool
	pending     map[string]*call // by clientToken
	doc         *shadowdoc.Document
	vs          shadowdoc.Versions
	docsVersion int64 // version of the last Documents handed to the handler
	onDelta     func(context.Context, Delta)
	onDesired   func(context.Context, state.Desired)
	queue       []func(context.Context)
	overflowed  bool // queue items were dropped: redeliver the current delta
	redeliver   bool // the next GET's delta goes to the handlers even if seen
}

var _ state.Syncer = (*Client)(nil)

// topics are the topics of one shadow.
type topics struct {
	get, update, delete string // request topics
}

// New subscribes to the shadow's response topics on t and starts the
// client's work: after each (re)connect of t, and right away, it GETs the
// shadow and hands the delta handler what changed while offline.
//
// The thing is t.Info().DeviceID; WithName selects a named shadow. ctx
// bounds the subscriptions (which wait for the broker only while t is
// connected). New subscribes to get/+ and delete/+ and to update/accepted,
// update/rejected and update/delta, plus update/documents with
// WithDocumentsHandler: never to shadow/#, which may carry topics AWS adds.
// The transport restores the subscriptions after every reconnect. Close
// stops everything New started.
func New(ctx context.Context, t transport.Transport, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	thing := t.Info().DeviceID
	prefix, err := shadowdoc.Prefix(thing, cfg.name)
	if err != nil {
		return nil, fmt.Errorf("shadow: %w", err)
	}
	c := &Client{
		t:     t,
		cfg:   cfg,
		thing: thing,
		topics: topics{
			get:    prefix + "/" + string(shadowdoc.OpGet),
			update: prefix + "/" + string(shadowdoc.OpUpdate),
			delete: prefix + "/" + string(shadowdoc.OpDelete),
		},
		slots:   make(chan struct{}, cfg.maxInFlight),
		resyncC: make(chan struct{}, 1),
		wakeC:   make(chan struct{}, 1),
		pending: make(map[string]*call),
		onDelta: cfg.onDelta,
	}
	filters := []string{
		c.topics.get + "/+",
		c.topics.delete + "/+",
		c.topics.update + "/" + string(shadowdoc.KindAccepted),
		c.topics.update + "/" + string(shadowdoc.KindRejected),
		c.topics.update + "/" + string(shadowdoc.KindDelta),
	}
	if cfg.onDocuments != nil {
		filters = append(filters, c.topics.update+"/"+string(shadowdoc.KindDocuments))
	}
	for _, f := range filters {
		if err := t.SubscribeRaw(ctx, f, requestQoS, c.receive); err != nil {
			err = fmt.Errorf("shadow: subscribe %s: %w", f, err)
			return nil, errors.Join(err, c.unsubscribe(ctx))
		}
		c.subs = append(c.subs, f)
	}

	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.stopWatch = t.Watch(c.onEvent)
	c.wg.Add(2)
	go c.resyncLoop()
	go c.dispatchLoop()
	c.requestResync(false)
	return c, nil
}

// Thing returns the thing name.
func (c *Client) Thing() string { return c.thing }

// Name returns the shadow's name, "" for the classic shadow.
func (c *Client) Name() string { return c.cfg.name }

// Close stops the client's goroutines, fails the requests in flight with
// ErrClosed and unsubscribes from the shadow's topics. It waits, up to
// ctx, for a handler that is running to return (its ctx is cancelled). It
// returns ctx's error or the error of unsubscribing, if any.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.failPendingLocked(ErrClosed)
	c.queue = nil
	c.mu.Unlock()

	c.stopWatch()
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("shadow: close: waiting for a handler to return: %w", ctx.Err())
	}
	return c.unsubscribe(ctx)
}

// unsubscribe removes the subscriptions in c.subs.
func (c *Client) unsubscribe(ctx context.Context) error {
	var errs []error
	for _, f := range c.subs {
		if err := c.t.UnsubscribeRaw(ctx, f); err != nil {
			errs = append(errs, fmt.Errorf("shadow: unsubscribe %s: %w", f, err))
		}
	}
	c.subs = nil
	return errors.Join(errs...)
}

// onEvent follows the connection: GET after every connect; requests
// waiting for a response when the connection drops will not get it.
func (c *Client) onEvent(ev transport.Event) {
	switch ev.Kind {
	case transport.EventConnected:
		c.requestResync(false)
	case transport.EventConnectionLost, transport.EventDisconnected:
		c.mu.Lock()
		c.failPendingLocked(ErrConnectionLost)
		c.mu.Unlock()
	}
}

// Document returns a copy of the last document the client has seen and
// applied, and false when it has none (no GET answered yet, or the shadow
// does not exist).
func (c *Client) Document() (Document, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.doc == nil {
		return Document{}, false
	}
	return *documentOf(c.doc), true
}

// OnDelta sets the function called with every delta, in version order, on
// one goroutine of the client's at a time (never on the network's): each
// update/delta newer than the last one delivered, and the delta of the GET
// the client makes after every (re)connect when the shadow changed while
// the device was offline. Setting a function also GETs the shadow and
// delivers its current delta, if any, so nothing set before is missed. A
// nil fn stops the calls. fn's ctx is cancelled by Close.
func (c *Client) OnDelta(fn func(ctx context.Context, d Delta)) {
	c.mu.Lock()
	c.onDelta = fn
	c.mu.Unlock()
	if fn != nil {
		c.requestResync(true)
	}
}
