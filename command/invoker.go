package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tether-iot/tether/internal/backoff"
	"github.com/tether-iot/tether/transport"
)

// Defaults of an [InvokerConfig]; a zero field means its default.
const (
	// DefaultAttemptTimeout is how long one attempt waits for the answer
	// before the request is published again.
	DefaultAttemptTimeout = 5 * time.Second
	// DefaultAttempts is how many times a request is published.
	DefaultAttempts = 3
	// DefaultRetryMinBackoff and DefaultRetryMaxBackoff bound the jittered
	// pause between attempts (full jitter, doubling from the minimum).
	DefaultRetryMinBackoff = 100 * time.Millisecond
	DefaultRetryMaxBackoff = 2 * time.Second

	// RequestQoS is the QoS requests are published with.
	RequestQoS byte = 1

	// maxQueuedAnswers bounds the unread answers of one Invoke call.
	maxQueuedAnswers = 16
)

// PubSub is what an [Invoker] needs of an MQTT connection: publishing and
// subscribing on the cloud's (raw) topics. A transport.Transport has these
// methods (for example one from transport/mqtt or transport/awsiot with the
// application's own client identity); any other MQTT client, such as a bare
// mqttx.Client, takes three one-line methods.
type PubSub interface {
	PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error
	SubscribeRaw(ctx context.Context, filter string, qos byte, h transport.Handler) error
	UnsubscribeRaw(ctx context.Context, filter string) error
}

var _ PubSub = transport.Transport(nil)

// InvokerConfig configures an [Invoker]. The zero value is ready to use.
type InvokerConfig struct {
	// Scheme is the devices' topic scheme (default SchemeCanonical).
	Scheme Scheme
	// Sender identifies the application to the devices, which scope
	// deduplication and ordering by it. Keep it stable across restarts to
	// retry a transaction after one.
	Sender string
	// AttemptTimeout is how long each attempt waits for the answer
	// (default DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// Attempts is how many times a request is published
	// (default DefaultAttempts).
	Attempts int
	// MinBackoff and MaxBackoff bound the jittered pause between attempts
	// (defaults DefaultRetryMinBackoff, DefaultRetryMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// Invoker sends commands to devices and waits for their answers: the
// application side of [Device], for AWS applications on MQTT, fleet tools
// and tests. It publishes request envelopes on the devices' request topics
// and correlates the answers by TID.
//
// It subscribes once, on first use, to the scheme's [Scheme.ResponseFilter]
// ("+/response/#" or "cmd/+/resp"), whatever the number of devices: AWS IoT
// Core allows 50 subscriptions per connection, so one per device would not
// scale. The price is that it receives every device's responses, and
// ignores those of other callers by TID.
//
// An Invoker is safe for concurrent use and starts no goroutine of its own.
type Invoker struct {
	ps     PubSub
	cfg    InvokerConfig
	policy backoff.Policy
	filter string

	subMu      sync.Mutex // serializes subscribing
	subscribed bool

	mu     sync.Mutex
	closed bool
	done   chan struct{} // closed by Close
	calls  map[string]*call
}

// NewInvoker returns an Invoker over ps. It does no I/O.
func NewInvoker(ps PubSub, cfg InvokerConfig) *Invoker {
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultRetryMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultRetryMaxBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Invoker{
		ps:     ps,
		cfg:    cfg,
		policy: backoff.Policy{Min: cfg.MinBackoff, Max: cfg.MaxBackoff},
		filter: cfg.Scheme.ResponseFilter(),
		done:   make(chan struct{}),
		calls:  make(map[string]*call),
	}
}

// Result is a device's answer.
type Result struct {
	Device   string
	Method   string
	TID      string
	Status   int
	Payload  json.RawMessage // nil when the device sent none
	Attempts int             // requests published before the answer came
}

// Decode unmarshals the answer's payload into v.
func (r *Result) Decode(v any) error {
	if len(r.Payload) == 0 {
		return fmt.Errorf("command: %q answered %q without a payload", r.Device, r.Method)
	}
	return json.Unmarshal(r.Payload, v)
}

// CallOption configures one call of an [Invoker].
type CallOption func(*callConfig)

type callConfig struct {
	tid string
	seq uint64
}

// WithTID sets the call's transaction id instead of a random one: use the
// TID of a call that timed out (see [TimeoutError]) to retry it safely, for
// example after the application restarted.
func WithTID(tid string) CallOption { return func(c *callConfig) { c.tid = tid } }

// WithSeq sets the call's sequence number, for devices that order commands
// ([WithOrdering]).
func WithSeq(seq uint64) CallOption { return func(c *callConfig) { c.seq = seq } }

// Invoke sends method with payload to device and returns its answer. The
// payload is nil (none), a []byte or json.RawMessage holding JSON, or any
// value encoding/json encodes.
//
// The request is published up to Attempts times, every AttemptTimeout, with
// a jittered pause between attempts, always with the same TID: the device
// runs the command once and answers duplicates from its cache, and an
// answer to any attempt ends the call. A 503 (device busy) is retried the
// same way. The call's deadline, sent to the device where it bounds the
// handler, is ctx's deadline or, without one, Attempts × AttemptTimeout
// (plus MaxBackoff between attempts) from now; the last attempt waits until
// it.
//
// A 4xx or 5xx answer returns the Result and a *[StatusError]. No answer
// returns a *[TimeoutError] (errors.Is ErrTimeout). A request that could
// never be published returns the publish error.
func (iv *Invoker) Invoke(ctx context.Context, device, method string, payload any, opts ...CallOption) (*Result, error) {
	co := newCallConfig(opts)
	body, err := encodePayload(payload)
	if err != nil {
		return nil, err
	}
	if err := ValidateMethod(method); err != nil {
		return nil, err
	}
	topic, err := iv.cfg.Scheme.RequestTopic(device, method)
	if err != nil {
		return nil, err
	}
	if err := iv.subscribe(ctx); err != nil {
		return nil, err
	}
	c, err := iv.register(co.tid, device, maxQueuedAnswers)
	if err != nil {
		return nil, err
	}
	defer iv.unregister(c)

	deadline := iv.deadline(ctx)
	if _, ok := ctx.Deadline(); !ok { // a ctx with a deadline needs no second timer
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	req := Request{TID: c.tid, Method: method, Payload: body, Sender: iv.cfg.Sender, Seq: co.seq, Deadline: deadline}
	result := func(a *answer, attempts int) (*Result, error) {
		r := &Result{Device: device, Method: method, TID: c.tid, Status: a.resp.Status, Payload: a.resp.Payload, Attempts: attempts}
		return r, statusError(r)
	}

	var busy *answer
	var lastErr error
	published := 0
	for attempt := 1; ; attempt++ {
		env, err := EncodeRequest(&req, time.Now())
		if err != nil {
			if errors.Is(err, ErrDeadline) {
				break
			}
			return nil, err
		}
		if err := iv.ps.PublishRaw(ctx, topic, env, RequestQoS); err != nil {
			lastErr = err
			iv.cfg.Logger.Debug("command: publishing a request", "topic", topic, "tid", c.tid, "attempt", attempt, "err", err)
		} else {
			published++
		}
		last := attempt >= iv.cfg.Attempts
		window := iv.cfg.AttemptTimeout
		if last {
			window = time.Until(deadline)
		}
		a, err := iv.await(ctx, c, window, false)
		if err != nil {
			return nil, err
		}
		if a != nil {
			if a.resp.Status != StatusServiceUnavailable || last {
				return result(a, published)
			}
			busy = a
		}
		if last || ctx.Err() != nil {
			break
		}
		// The pause still accepts a (non-busy) answer to an earlier attempt.
		if a, err = iv.await(ctx, c, iv.policy.Delay(attempt), true); err != nil {
			return nil, err
		} else if a != nil {
			return result(a, published)
		}
	}
	switch {
	case busy != nil:
		return result(busy, published)
	case published == 0 && lastErr != nil:
		return nil, fmt.Errorf("command: invoking %q on %q: %w", method, device, lastErr)
	}
	if err := context.Cause(ctx); errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("command: invoking %q on %q (tid %s): %w", method, device, c.tid, err)
	} else if lastErr == nil {
		lastErr = err
	}
	return nil, &TimeoutError{Device: device, Method: method, TID: c.tid, Attempts: published, Err: lastErr}
}

// deadline is ctx's deadline or, without one, the time Attempts attempts
// take: Attempts × AttemptTimeout plus the longest pauses between them.
func (iv *Invoker) deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	n := time.Duration(iv.cfg.Attempts)
	return time.Now().Add(n*iv.cfg.AttemptTimeout + (n-1)*iv.cfg.MaxBackoff)
}

// Close fails the calls in progress with [ErrInvokerClosed] and removes the
// response subscription. It does not close the PubSub.
func (iv *Invoker) Close(ctx context.Context) error {
	iv.mu.Lock()
	if !iv.closed {
		iv.closed = true
		close(iv.done)
	}
	iv.mu.Unlock()
	iv.subMu.Lock()
	defer iv.subMu.Unlock()
	if !iv.subscribed {
		return nil
	}
	iv.subscribed = false
	return iv.ps.UnsubscribeRaw(ctx, iv.filter)
}

// subscribe subscribes to the response filter once.
func (iv *Invoker) subscribe(ctx context.Context) error {
	iv.subMu.Lock()
	defer iv.subMu.Unlock()
	if iv.isClosed() {
		return ErrInvokerClosed
	}
	if iv.subscribed {
		return nil
	}
	if err := iv.ps.SubscribeRaw(ctx, iv.filter, transport.SubscribeQoS, iv.onResponse); err != nil {
		return fmt.Errorf("command: subscribing to responses on %q: %w", iv.filter, err)
	}
	iv.subscribed = true
	return nil
}

func (iv *Invoker) isClosed() bool {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return iv.closed
}

// onResponse routes a response to the call waiting for its TID.
func (iv *Invoker) onResponse(_ context.Context, msg transport.Message) {
	device, _, err := iv.cfg.Scheme.ParseResponseTopic(msg.Topic)
	if err != nil {
		iv.cfg.Logger.Debug("command: ignored a message on an unexpected topic", "topic", msg.Topic, "err", err)
		return
	}
	tid, resp, err := DecodeResponse(msg.Payload)
	if err != nil {
		iv.cfg.Logger.Debug("command: ignored a malformed response", "topic", msg.Topic, "err", err)
		return
	}
	iv.mu.Lock()
	c := iv.calls[tid]
	iv.mu.Unlock()
	if c == nil || (c.device != "" && c.device != device) {
		return // another caller's, or late
	}
	c.deliver(answer{device: device, resp: resp})
}

// call is one Invoke or InvokeGroup waiting for answers.
type call struct {
	tid    string
	device string        // the device that must answer; "" for a group
	notify chan struct{} // signalled when queue grows

	mu    sync.Mutex
	queue []answer
	limit int
}

type answer struct {
	device string
	resp   Response
}

func (c *call) deliver(a answer) {
	c.mu.Lock()
	if len(c.queue) < c.limit {
		c.queue = append(c.queue, a)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *call) take() []answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	return q
}

// register records a call under tid (a random one when empty).
func (iv *Invoker) register(tid, device string, limit int) (*call, error) {
	if tid == "" {
		tid = uuid.NewString()
	} else if err := validateID("tid", tid); err != nil {
		return nil, err
	}
	iv.mu.Lock()
	defer iv.mu.Unlock()
	if iv.closed {
		return nil, ErrInvokerClosed
	}
	if _, dup := iv.calls[tid]; dup {
		return nil, fmt.Errorf("%w: %q", ErrTIDPending, tid)
	}
	c := &call{tid: tid, device: device, notify: make(chan struct{}, 1), limit: limit}
	iv.calls[tid] = c
	return c, nil
}

func (iv *Invoker) unregister(c *call) {
	iv.mu.Lock()
	delete(iv.calls, c.tid)
	iv.mu.Unlock()
}

// await waits up to d for an answer to c and returns it, or nil when d
// passes or ctx ends. A non-busy answer is preferred; with skipBusy, 503
// answers are ignored.
func (iv *Invoker) await(ctx context.Context, c *call, d time.Duration, skipBusy bool) (*answer, error) {
	if d <= 0 {
		d = 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-c.notify:
			var busy *answer
			for _, a := range c.take() {
				if a.resp.Status != StatusServiceUnavailable {
					return &a, nil
				}
				if !skipBusy {
					busy = &a
				}
			}
			if busy != nil {
				return busy, nil
			}
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		case <-iv.done:
			return nil, ErrInvokerClosed
		}
	}
}

func newCallConfig(opts []CallOption) callConfig {
	var c callConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// encodePayload returns v as a JSON payload: nil for none; []byte and
// json.RawMessage as they are (they must be JSON); anything else encoded.
func encodePayload(v any) (json.RawMessage, error) {
	var b []byte
	switch p := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		b = p
	case []byte:
		b = p
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("command: encoding the payload: %w", err)
		}
	}
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, ErrInvalidPayload
	}
	return b, nil
}
