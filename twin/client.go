package twin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/tether-iot/tether/internal/twindoc"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

// Client is the device side of an Azure IoT Hub device twin, over a
// transport.Transport. It is safe for concurrent use.
type Client struct {
	t         transport.Transport
	cfg       config
	ridPrefix string
	ridSeq    atomic.Uint64

	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	stopWatch func()
	closeOnce sync.Once

	// subscribing guards the subscriptions (a one-slot semaphore, so that
	// waiting for it honours ctx); subscribed is set once both are in place.
	subscribing chan struct{}
	subscribed  atomic.Bool

	reqMu   sync.Mutex
	pending map[string]chan response // by $rid

	conn connState

	resync chan struct{} // one pending resync request at most

	mu      sync.Mutex // guards st, handler, gen, queue
	st      twinState
	handler func(context.Context, DesiredPatch)
	gen     uint64 // incremented when the handler changes
	queue   []delivery
	queued  chan struct{} // signals the delivery goroutine
}

var _ state.Syncer = (*Client)(nil)

// New returns a Client for t and starts it: in the background it subscribes
// to the twin response and desired-patch topics, reads the twin (GET) and
// hands the desired properties to the handler, and does so again after
// every reconnect. It retries until it succeeds or Close is called, so t
// may be connected before or after New. Methods such as Get need not wait
// for it.
//
// The Client uses two of the hub's five subscriptions:
// $iothub/twin/res/# and $iothub/twin/PATCH/properties/desired/#.
func New(t transport.Transport, opts ...Option) (*Client, error) {
	if t == nil {
		return nil, errors.New("twin: New: nil transport")
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		t:           t,
		cfg:         newConfig(opts),
		ridPrefix:   uuid.NewString()[:8] + "-",
		ctx:         ctx,
		cancel:      cancel,
		subscribing: make(chan struct{}, 1),
		pending:     make(map[string]chan response),
		conn:        newConnState(),
		resync:      make(chan struct{}, 1),
		queued:      make(chan struct{}, 1),
	}
	c.handler = c.cfg.handler
	c.st.pending = make(map[int64]map[string]any)
	c.stopWatch = t.Watch(c.onEvent)
	c.requestResync()
	c.wg.Add(2)
	go c.syncLoop()
	go c.deliverLoop()
	return c, nil
}

// Close stops the Client: requests in progress fail with ErrClosed, and
// every goroutine the Client started has exited when Close returns. It waits
// for a desired handler that is running to return (its ctx is cancelled),
// so it must not be called from that handler. The subscriptions stay on the
// transport (a later Client replaces their handlers); messages on them are
// dropped. Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.stopWatch()
		c.cancel()
		c.wg.Wait()
	})
	return nil
}

// onEvent follows the transport's connection events. It runs on the
// transport's event goroutine, so it only records and signals.
func (c *Client) onEvent(ev transport.Event) {
	switch ev.Kind {
	case transport.EventConnected:
		c.conn.connected()
		c.requestResync() // desired patches sent while offline are not redelivered
	case transport.EventConnectionLost, transport.EventDisconnected:
		c.conn.lost(c.conn.generation())
	case transport.EventSubscribeFailed:
		if ev.Filter == twindoc.ResponseFilter || ev.Filter == twindoc.DesiredFilter {
			c.cfg.log.Warn("twin: the hub refused a subscription; subscribing again", "filter", ev.Filter, "err", ev.Err)
			c.subscribed.Store(false)
			c.requestResync()
		}
	}
}

// requestResync asks the sync goroutine for a GET; requests made while one
// is pending are merged into it.
func (c *Client) requestResync() {
	select {
	case c.resync <- struct{}{}:
	default:
	}
}

// syncLoop performs the GETs that keep the applied desired properties in
// sync: the initial one, one after every reconnect, one after a version gap.
func (c *Client) syncLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.resync:
		}
		for attempt := 1; ; attempt++ {
			err := c.syncOnce(c.ctx)
			if err == nil || c.ctx.Err() != nil {
				break
			}
			c.cfg.log.Warn("twin: reading the twin failed; retrying", "attempt", attempt, "err", err)
			if c.pause(c.ctx, attempt, err) != nil {
				return
			}
		}
	}
}

func (c *Client) syncOnce(ctx context.Context) error {
	if err := c.ensureSubscribed(ctx); err != nil {
		return err
	}
	tw, err := c.get(ctx)
	if err != nil {
		return err
	}
	c.absorb(tw)
	return nil
}

// ensureSubscribed subscribes to the desired patches, then to the
// responses, once; the transport restores them on every reconnect.
func (c *Client) ensureSubscribed(ctx context.Context) error {
	if c.subscribed.Load() {
		return nil
	}
	select {
	case c.subscribing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("twin: subscribing: %w", ctx.Err())
	case <-c.ctx.Done():
		return ErrClosed
	}
	defer func() { <-c.subscribing }()
	if c.subscribed.Load() {
		return nil
	}
	if err := c.t.SubscribeRaw(ctx, twindoc.DesiredFilter, transport.SubscribeQoS, c.onDesired); err != nil {
		return fmt.Errorf("twin: subscribing to desired patches: %w", err)
	}
	if err := c.t.SubscribeRaw(ctx, twindoc.ResponseFilter, transport.SubscribeQoS, c.onResponse); err != nil {
		return fmt.Errorf("twin: subscribing to responses: %w", err)
	}
	c.subscribed.Store(true)
	return nil
}

// Get reads the full twin from the hub. Its desired properties also update
// the ones the Client has applied: if they are newer, the handler receives
// the difference (Resynced). 429 and 5xx answers, lost responses and lost
// connections are retried until ctx ends.
func (c *Client) Get(ctx context.Context) (Twin, error) {
	if c.ctx.Err() != nil {
		return Twin{}, ErrClosed
	}
	if err := c.ensureSubscribed(ctx); err != nil {
		return Twin{}, err
	}
	tw, err := c.get(ctx)
	if err != nil {
		return Twin{}, err
	}
	out := Twin{Desired: fromDoc(tw.Desired), Reported: fromDoc(tw.Reported)}
	c.absorb(tw)
	return out, nil
}

// get performs a GET with retries and parses the twin.
func (c *Client) get(ctx context.Context) (twindoc.Twin, error) {
	_, body, err := c.do(ctx, twindoc.RequestGet, nil)
	if err != nil {
		return twindoc.Twin{}, err
	}
	tw, err := twindoc.ParseTwin(body)
	if err != nil {
		return twindoc.Twin{}, fmt.Errorf("%w: GET: %w", ErrMalformedResponse, err)
	}
	return tw, nil
}

// UpdateReported merges patch into the reported properties (a JSON merge
// patch: objects merge, a nil value deletes the key) and returns their new
// $version.
//
// patch may hold any values encoding/json marshals. Before anything is sent,
// its keys are mapped (WithKeyMapping) and it is checked against the hub's
// rules; a patch that breaks them, or that would make the reported
// properties as last known larger than 32 KiB, fails with an error matching
// ErrInvalidPatch and the rule's sentinel, and nothing is sent.
//
// 429 and 5xx answers are retried with backoff until ctx ends; 400 is not.
// A patch whose response was lost (timeout, connection lost) is sent again:
// merging the same patch twice gives the same properties, but the version
// grows twice.
func (c *Client) UpdateReported(ctx context.Context, patch map[string]any) (int64, error) {
	if c.ctx.Err() != nil {
		return 0, ErrClosed
	}
	doc, payload, err := c.prepareReported(patch)
	if err != nil {
		return 0, err
	}
	if err := c.checkMergedSize(doc); err != nil {
		return 0, err
	}
	if err := c.ensureSubscribed(ctx); err != nil {
		return 0, err
	}
	res, _, err := c.do(ctx, twindoc.RequestPatchReported, payload)
	if err != nil {
		return 0, err
	}
	c.reported(doc, res)
	return res.Version, nil
}

func (c *Client) nextRID() string {
	return c.ridPrefix + strconv.FormatUint(c.ridSeq.Add(1), 10)
}
