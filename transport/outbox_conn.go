package transport

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport/outbox"
)

// ErrQueued is returned, together with the context's error, by a Send
// whose context ended before the cloud acknowledged the message: the
// message stays in the outbox and is delivered after reconnecting (or
// reported to Options.Outbox.OnDrop if it never can be). It is also
// returned when the Conn is closed with the message still in a durable
// outbox, where the next process sends it.
var ErrQueued = errors.New("transport: message queued, not yet acknowledged")

// outboxRetryDelay is the pause before the outbox is replayed again on a
// connection that is still up after a send failed. Usually the connection
// was lost, and its event ends the replay first.
const outboxRetryDelay = 500 * time.Millisecond

// outboxLinger is how long the outbox's sender waits for the next message
// before it ends: a steady flow of messages does not start a goroutine per
// message, and an idle connection holds none.
const outboxLinger = time.Second

// The outbox side of Conn.
//
// Send and Enqueue put QoS 1 messages (and QoS 0 ones while offline, per
// outbox.QoS0Policy) in the outbox, with the cloud topic already
// translated and checked: translation is pure, so the record holds
// everything needed to publish it, even in a later process. While
// connected, a sender goroutine drains the outbox (outbox.Drain) whenever
// something is queued, and ends once it has been empty for outboxLinger:
// an idle connection holds no goroutine, context or (in memory) outbox
// for it. When nothing is queued and no sender runs, a connected Send
// publishes its own message instead (sendInline), saving two goroutine
// hand-offs per message, and puts its record while the publish is under
// way (outbox.Reserve): the outbox's bookkeeping then costs no latency.
// At most one of them sends at a time;
// EventConnectionLost cancels it and also tells the outbox which record
// was in flight (quarantine). Records are published one at a time, in
// order, each once the previous one was acknowledged, paced by the Conn's
// own limiters.
//
// Raw publishes (shadow, twin, method responses) bypass the outbox: those
// services resynchronise after a reconnect (a shadow or twin GET, a
// method call that the cloud has already timed out), and replaying their
// stale requests or responses afterwards would be wrong. SendDirect does
// the same for canonical messages.

// openOutbox validates the outbox's options and opens a durable outbox
// (reading back what a previous process left); an in-memory one is
// opened on first use. Callbacks are routed through c.
func (c *Conn) openOutbox(opts outbox.Options) error {
	c.userOnDrop = opts.OnDrop
	if err := opts.Validate(); err != nil {
		return &ConfigError{Setting: "Outbox", Reason: "cannot open the outbox", Err: err}
	}
	if opts.Dir == "" {
		if !isZero(opts) {
			c.obOpts = &opts
		}
		return nil
	}
	ob, err := outbox.Open(c.outboxOptions(opts))
	if err != nil {
		return &ConfigError{Setting: "Outbox", Reason: "cannot open the outbox", Err: err}
	}
	c.ob.Store(ob)
	return nil
}

// outbox returns the outbox, opening an in-memory one on first use. After
// Close it fails with outbox.ErrClosed.
func (c *Conn) outbox() (*outbox.Outbox, error) {
	if ob := c.ob.Load(); ob != nil {
		return ob, nil
	}
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if ob := c.ob.Load(); ob != nil {
		return ob, nil
	}
	if c.runClosed {
		return nil, outbox.ErrClosed
	}
	var opts outbox.Options
	if c.obOpts != nil {
		opts = *c.obOpts
	}
	ob, err := outbox.Open(c.outboxOptions(opts)) // in memory, options validated: cannot fail
	if err != nil {
		return nil, err
	}
	ob.SetOnline(c.online)
	c.obOpts = nil
	c.ob.Store(ob)
	return ob, nil
}

// outboxOptions routes the outbox's callbacks through c.
func (c *Conn) outboxOptions(opts outbox.Options) outbox.Options {
	opts.OnDrop = c.outboxDropped
	if opts.Logger == nil {
		opts.Logger = c.log
	}
	return opts
}

// isZero reports whether opts is the zero value: the defaults, which need
// no copy kept until the lazy open.
func isZero(opts outbox.Options) bool {
	return reflect.ValueOf(opts).IsZero()
}

// Enqueue queues a device-to-cloud message on a canonical topic and
// returns without waiting for it to be sent: fire and forget. The message
// is checked as by Send first, so an invalid one fails here with its typed
// error and is never queued. QoS 1 messages are sent in order once
// connected; a QoS 0 message put while offline follows
// Options.Outbox.QoS0 (dropped with an error matching
// mqttx.ErrNotConnected and outbox.ErrOffline, or queued). A message that
// leaves the outbox undelivered (full, expired, dead-lettered) is reported
// to Options.Outbox.OnDrop.
func (c *Conn) Enqueue(msg Message) error {
	topic, err := c.prepare(msg)
	if err != nil {
		return err
	}
	if msg.QoS > 1 {
		return fmt.Errorf("transport: Enqueue: QoS %d cannot be queued: %w", msg.QoS, ErrQoSNotSupported)
	}
	ob, err := c.outbox()
	if err != nil {
		return putError(err)
	}
	seq, err := ob.Put(outbox.Record{Topic: topic, Payload: msg.Payload, QoS: msg.QoS})
	if err != nil {
		return putError(err)
	}
	c.putDone(seq)
	return nil
}

// Queued returns the number of messages in the outbox, including the one
// being sent.
func (c *Conn) Queued() int {
	if ob := c.ob.Load(); ob != nil {
		return ob.Len()
	}
	return 0
}

// sendQueued puts a checked message in the outbox and waits until the
// cloud acknowledged it (QoS 1) or it was written (QoS 0), it was
// dropped, or ctx ended (ErrQueued).
func (c *Conn) sendQueued(ctx context.Context, topic string, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err // nothing was accepted
	}
	ob, err := c.outbox()
	if err != nil {
		return putError(err)
	}
	if in, ok := c.reserveInline(ob, topic, msg); ok {
		return c.sendInline(ctx, in)
	}
	c.acks.beginPut()
	seq, err := ob.Put(outbox.Record{Topic: topic, Payload: msg.Payload, QoS: msg.QoS})
	if err != nil {
		c.acks.endPut(seq, false)
		return putError(err)
	}
	done := c.acks.endPut(seq, true)
	c.putDone(seq)
	return c.awaitQueued(ctx, seq, done)
}

// awaitQueued waits for the outcome of the queued record seq on done, or
// for ctx (ErrQueued).
func (c *Conn) awaitQueued(ctx context.Context, seq uint64, done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if err, ok := c.acks.abandon(seq, done); ok {
			return err
		}
		return fmt.Errorf("%w: %w", ErrQueued, ctx.Err())
	}
}

// putDone follows a successful Put of a record that passed prepare: it
// notes the first such Seq (see checkedFrom) and wakes the sender. Of
// concurrent first Puts the later Seq may win, which only means one more
// record checked again.
func (c *Conn) putDone(seq uint64) {
	c.noteChecked(seq)
	c.kick()
}

// noteChecked notes seq as put after passing prepare (see checkedFrom).
func (c *Conn) noteChecked(seq uint64) {
	if c.checkedFrom.Load() == 0 {
		c.checkedFrom.CompareAndSwap(0, seq)
	}
}

// putError describes a failed outbox.Put.
func putError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, outbox.ErrOffline):
		return fmt.Errorf("transport: %w: %w", mqttx.ErrNotConnected, err)
	case errors.Is(err, outbox.ErrClosed):
		return fmt.Errorf("transport: %w: %w", mqttx.ErrClosed, err)
	}
	return fmt.Errorf("transport: queueing the message: %w", err)
}

// sendRecord is the outbox's SendFunc: it publishes one record and
// returns once the broker acknowledged it.
func (c *Conn) sendRecord(ctx context.Context, rec outbox.Record) error {
	// A record read back from a durable outbox was put by an earlier
	// process, perhaps under other limits: checked again. What fails the
	// checks never will pass. Records this Conn put passed prepare.
	if from := c.checkedFrom.Load(); from == 0 || rec.Seq < from {
		if err := c.dialect.CheckPublish(rec.Topic, rec.Payload, rec.QoS); err != nil {
			return outbox.Permanent(err)
		}
	}
	err := c.client.Publish(ctx, rec.Topic, rec.Payload, rec.QoS, rec.Retain)
	return c.sent(rec.Seq, err)
}

// sent classifies the outcome of publishing record seq for the outbox and
// tells the Send waiting for it about a success.
func (c *Conn) sent(seq uint64, err error) error {
	if err != nil {
		if errors.Is(err, mqttx.ErrInvalidTopic) || errors.Is(err, mqttx.ErrInvalidQoS) {
			return outbox.Permanent(err)
		}
		return err
	}
	c.acks.resolve(seq, nil)
	return nil
}

// reserveInline reserves the outbox for a Send to publish its message
// from its own goroutine, when nothing is queued or being sent and the
// rate limits allow it at once: the common case of a connected device
// sending one message at a time then costs no hand-off to the sender
// goroutine, and the outbox's bookkeeping overlaps the publish
// (outbox.Reserve). It reports false if it did not reserve: the message
// is then put and queued as usual.
func (c *Conn) reserveInline(ob *outbox.Outbox, topic string, msg Message) (inlineSend, bool) {
	size := len(topic) + len(msg.Payload)
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if !c.online || c.runClosed || c.runActive {
		return inlineSend{}, false
	}
	var now time.Time
	if c.msgLimit != nil || c.byteLimit != nil {
		now = time.Now()
	}
	if !c.mayPaceNow(now, size) {
		return inlineSend{}, false // the sender paces the message
	}
	// The record's own copy is what is published: a Send that returns
	// ErrQueued leaves the publish in flight, and the caller may reuse
	// msg.Payload at once.
	payload := copyPayload(msg.Payload)
	res, ok, err := ob.Reserve(outbox.Record{Topic: topic, Payload: payload.b, QoS: msg.QoS})
	if !ok || err != nil {
		payload.release()
		return inlineSend{}, false // Put reports what is wrong
	}
	if !c.takePace(now, size) {
		res.Cancel() // the sender paces the message
		payload.release()
		return inlineSend{}, false
	}
	c.runActive = true
	c.runWG.Add(1)
	if c.runCancel == nil {
		c.runCtx, c.runCancel = context.WithCancel(context.Background())
	}
	return inlineSend{res: res, runCtx: c.runCtx, payload: payload}, true
}

// inlineSend is a Send that reserveInline let publish its own message.
type inlineSend struct {
	res     outbox.Reservation
	runCtx  context.Context // ends when the Conn closes
	payload payloadCopy     // the record's payload
}

// sendInline publishes a message reserved by reserveInline, puts its
// record while the publish is under way, and returns the Send's result.
// Nobody else sends or drops the record: its outcome is this Send's, and
// no waiter is needed unless it stays queued. If ctx ends before the
// acknowledgement, a goroutine takes over the wait, so that the record is
// neither abandoned nor sent twice at once, and the Send returns
// ErrQueued as usual. If the publish fails (the connection was lost), the
// record stays queued for the sender and the Send waits for its outcome
// like any queued one.
func (c *Conn) sendInline(ctx context.Context, in inlineSend) error {
	runCtx := in.runCtx
	rec := in.res.Record()
	pub, err := c.client.PublishAsync(runCtx, rec.Topic, rec.Payload, rec.QoS, rec.Retain)
	claim, perr := in.res.Put()
	if perr != nil {
		return c.sendUnkept(ctx, pub, err, rec, perr)
	}
	seq := claim.Seq()
	c.noteChecked(seq)
	if err == nil {
		select {
		case <-pub.Done():
		case <-runCtx.Done():
		case <-ctx.Done():
			// Arguments, not a closure: captured variables would move to
			// the heap on every Send, not only on this path.
			go c.finishInline(runCtx, pub, claim, in.payload)
			return fmt.Errorf("%w: %w", ErrQueued, ctx.Err())
		}
		err = pub.Wait(runCtx)
	}
	if err == nil {
		c.endInline(claim, in.payload, nil)
		return nil
	}
	// Registered before Done: from Done on, the sender may send the
	// record, or the outbox drop it, and tell the waiter.
	done := c.acks.wait(seq)
	c.endInline(claim, in.payload, c.sent(seq, err))
	return c.awaitQueued(ctx, seq, done)
}

// sendUnkept ends an inline Send whose record the outbox could not keep
// (perr: it filled up meanwhile, or its store failed) while its publish
// is under way (pub; pubErr if it did not start): the Send succeeds if
// the cloud acknowledges the message anyway, and otherwise fails with
// perr, reported to OnDrop as a failed Put is.
func (c *Conn) sendUnkept(ctx context.Context, pub *mqttx.Publication, pubErr error, rec outbox.Record, perr error) error {
	c.endSending(0)
	if pubErr == nil && pub.Wait(ctx) == nil {
		return nil
	}
	c.outboxDropped(rec, perr)
	return putError(perr)
}

// endInline applies the outcome of sendInline and hands the sending back.
// An acknowledged message's payload copy goes back to its pool if the
// outbox released the record: paho is done with it too (see payloadCopy).
func (c *Conn) endInline(claim outbox.Claim, payload payloadCopy, err error) {
	queued, released := claim.Done(err)
	c.endSending(queued)
	if released {
		payload.release()
	}
}

// finishInline waits, in a goroutine of its own, for the outcome of an
// inline Send whose ctx ended before the acknowledgement, and applies it.
func (c *Conn) finishInline(runCtx context.Context, pub *mqttx.Publication, claim outbox.Claim, payload payloadCopy) {
	select {
	case <-pub.Done():
	case <-runCtx.Done():
	}
	c.endInline(claim, payload, c.sent(claim.Seq(), pub.Wait(runCtx)))
}

// endSending ends an inline send, given the number of records left in
// the outbox: the sender goroutine starts if records were put meanwhile,
// or the record failed and is to be retried.
func (c *Conn) endSending(queued int) {
	c.runMu.Lock()
	c.runActive = false
	if c.runKicked || queued > 0 {
		c.kickLocked()
	}
	c.runMu.Unlock()
	c.runWG.Done()
}

// mayPaceNow reports whether the Conn's rate limits would allow one more
// message of size bytes at once. It takes nothing (and allocates nothing,
// unlike a reservation); takePace does.
func (c *Conn) mayPaceNow(now time.Time, size int) bool {
	return (c.msgLimit == nil || c.msgLimit.TokensAt(now) >= 1) &&
		(c.byteLimit == nil || size <= 0 || c.byteLimit.TokensAt(now) >= float64(size))
}

// takePace takes one message and size bytes from the rate limits if they
// allow it at once, and reports whether it did. Another publish may have
// taken tokens since mayPaceNow: then the message token may be spent
// without the bytes, which paces more strictly, never less.
func (c *Conn) takePace(now time.Time, size int) bool {
	if c.msgLimit != nil && !c.msgLimit.AllowN(now, 1) {
		return false
	}
	return c.byteLimit == nil || size <= 0 || c.byteLimit.AllowN(now, size)
}

// outboxDropped is the outbox's OnDrop: it fails the Send waiting for the
// record, then tells the user.
func (c *Conn) outboxDropped(rec outbox.Record, reason error) {
	if rec.Seq != 0 {
		c.acks.resolve(rec.Seq, fmt.Errorf("transport: message dropped from the outbox: %w", reason))
	}
	if c.userOnDrop != nil {
		c.userOnDrop(rec, reason)
		return
	}
	c.log.Warn("transport: message dropped from the outbox", "seq", rec.Seq, "topic", rec.Topic, "reason", reason)
}

// goOnline marks the connection up (EventConnected) and starts sending
// what the outbox holds.
func (c *Conn) goOnline() {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	if c.runClosed {
		return
	}
	c.online = true
	ob := c.ob.Load()
	if ob == nil {
		return
	}
	ob.SetOnline(true)
	if ob.Len() > 0 {
		c.kickLocked()
	}
}

// kick makes the sender look at the outbox after a Put.
func (c *Conn) kick() {
	c.runMu.Lock()
	c.kickLocked()
	c.runMu.Unlock()
}

// kickLocked starts the sender while connected, or, if it runs, makes it
// look again before it ends: a Put may have come just after its Drain
// found the outbox empty.
func (c *Conn) kickLocked() {
	if !c.online || c.runClosed {
		return
	}
	c.runKicked = true
	if c.runActive {
		return
	}
	c.runActive = true
	c.runWG.Add(1)
	go c.drainOutbox()
}

// drainOutbox is the sender goroutine: it drains the outbox until it has
// been empty for outboxLinger with no Put since, the connection is lost,
// or Conn is closed.
func (c *Conn) drainOutbox() {
	defer c.runWG.Done()
	ob := c.ob.Load() // kicked after a Put or with records: opened
	for {
		c.runMu.Lock()
		if c.runClosed || !c.online || !c.runKicked {
			c.runActive = false
			if c.runCancel != nil {
				c.runCancel()
				c.runCtx, c.runCancel = nil, nil
			}
			c.runMu.Unlock()
			return
		}
		c.runKicked = false
		if c.runCancel == nil { // first round, or the connection was replaced
			c.runCtx, c.runCancel = context.WithCancel(context.Background())
		}
		ctx := c.runCtx
		c.runMu.Unlock()

		err := ob.Drain(ctx, c.sendRecord, outbox.Pace{Messages: c.msgLimit, Bytes: c.byteLimit}, outboxLinger)
		if err == nil || ctx.Err() != nil || errors.Is(err, outbox.ErrClosed) {
			continue // drained, or stopped: the checks above decide
		}
		// A send failed on a connection that is still up; usually it was
		// lost, and its event cancels ctx first.
		c.log.Debug("transport: outbox replay stopped; retrying", "err", err)
		t := time.NewTimer(outboxRetryDelay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
			c.runMu.Lock()
			c.runKicked = true
			c.runMu.Unlock()
		}
	}
}

// connectionLost stops the sender and tells the outbox, for quarantine,
// unless the connection was replaced on purpose (MaxConnectionAge: mqttx
// let the publishes in flight finish first).
func (c *Conn) connectionLost(reason error) {
	c.runMu.Lock()
	c.online = false
	if c.runCancel != nil {
		c.runCancel()
		c.runCtx, c.runCancel = nil, nil
	}
	ob := c.ob.Load()
	if ob != nil {
		ob.SetOnline(false)
	}
	c.runMu.Unlock()
	if ob != nil && !errors.Is(reason, mqttx.ErrReconnectRequested) {
		ob.ConnectionLost()
	}
}

// stopSending stops the sender for good and waits for it to end.
func (c *Conn) stopSending() {
	c.runMu.Lock()
	c.runClosed = true
	c.online = false
	if c.runCancel != nil {
		c.runCancel()
		c.runCtx, c.runCancel = nil, nil
	}
	c.runMu.Unlock()
	c.runWG.Wait()
}

// closeOutbox closes the outbox after the sender stopped, and fails the
// Sends still waiting.
func (c *Conn) closeOutbox() error {
	var err error
	if ob := c.ob.Load(); ob != nil {
		err = ob.Close() // an in-memory outbox reports its records to OnDrop
	}
	c.acks.close(fmt.Errorf("%w: %w", ErrQueued, outbox.ErrClosed))
	if err != nil {
		return fmt.Errorf("transport: closing the outbox: %w", err)
	}
	return nil
}

// ackWaiters connects the outbox's outcomes to the Sends waiting for them,
// by record sequence number. A record may be sent (or dropped) before Put
// has returned its number to the Send: outcomes that arrive while a Put is
// in progress are kept until that Put has looked them up.
type ackWaiters struct {
	mu      sync.Mutex
	waiting map[uint64]chan error
	putting int              // Puts in progress
	early   map[uint64]error // outcomes that arrived while putting > 0
	closed  error            // set by close: the outcome of later waits
}

func (a *ackWaiters) beginPut() {
	a.mu.Lock()
	a.putting++
	a.mu.Unlock()
}

// endPut ends a Put begun with beginPut. If the Put queued seq, it returns
// the channel on which its outcome arrives.
func (a *ackWaiters) endPut(seq uint64, queued bool) <-chan error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.putting--
	var ch chan error
	if queued {
		ch = make(chan error, 1)
		if err, ok := a.early[seq]; ok {
			ch <- err
		} else if a.closed != nil {
			ch <- a.closed
		} else {
			if a.waiting == nil {
				a.waiting = make(map[uint64]chan error)
			}
			a.waiting[seq] = ch
		}
	}
	if a.putting == 0 {
		clear(a.early) // no Put left to look them up
	}
	return ch
}

// wait returns the channel on which the outcome of record seq arrives, for
// a record whose outcome cannot have arrived yet (it is claimed).
func (a *ackWaiters) wait(seq uint64) <-chan error {
	ch := make(chan error, 1)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed != nil {
		ch <- a.closed
		return ch
	}
	if a.waiting == nil {
		a.waiting = make(map[uint64]chan error)
	}
	a.waiting[seq] = ch
	return ch
}

// resolve delivers the outcome of record seq, if anyone waits for it.
func (a *ackWaiters) resolve(seq uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ch, ok := a.waiting[seq]; ok {
		delete(a.waiting, seq)
		ch <- err
		return
	}
	if a.putting > 0 {
		if a.early == nil {
			a.early = make(map[uint64]error)
		}
		a.early[seq] = err
	}
}

// abandon stops waiting for seq; it returns the outcome if it arrived
// meanwhile.
func (a *ackWaiters) abandon(seq uint64, ch <-chan error) (error, bool) {
	a.mu.Lock()
	delete(a.waiting, seq)
	a.mu.Unlock()
	select {
	case err := <-ch:
		return err, true
	default:
		return nil, false
	}
}

// close fails every wait, present and future, with err.
func (a *ackWaiters) close(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = err
	for seq, ch := range a.waiting {
		delete(a.waiting, seq)
		ch <- err
	}
}
