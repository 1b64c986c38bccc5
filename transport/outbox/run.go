package outbox

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// SendFunc publishes rec and returns nil once the broker acknowledged it
// (PUBACK; for QoS 0, once it is written). It must honour ctx. An error
// for which IsPermanent is true dead-letters the record; any other error
// ends Run and leaves the record for the next connection. It must not
// modify or retain rec's slices.
type SendFunc func(ctx context.Context, rec Record) error

// Pace limits how fast Run sends, so that replaying a long outage's
// backlog does not trip the cloud's throttles (e.g. AWS IoT Core: 100
// publishes/s and 512 KiB/s per connection). Share the limiters with the
// transport's other publishes, and across connections, so the limits hold
// overall. A nil limiter does not limit.
type Pace struct {
	// Messages is charged one token per record.
	Messages *rate.Limiter
	// Bytes is charged Record.Size tokens per record, in chunks of at most
	// its burst.
	Bytes *rate.Limiter
}

// wait blocks until both limiters allow a record of size bytes.
func (p Pace) wait(ctx context.Context, size int64) error {
	if p.Messages != nil {
		if err := p.Messages.Wait(ctx); err != nil {
			return fmt.Errorf("outbox: pace: %w", err)
		}
	}
	if p.Bytes == nil {
		return nil
	}
	for size > 0 {
		n := size
		if b := int64(p.Bytes.Burst()); b > 0 && n > b {
			n = b
		}
		if err := p.Bytes.WaitN(ctx, int(n)); err != nil {
			return fmt.Errorf("outbox: pace: %w", err)
		}
		size -= n
	}
	return nil
}

// Run sends the queued records for one connection: oldest first, one at a
// time, each after pace allows it, removing each once send returns nil.
// When the outbox is empty it waits for Put. It returns the first
// non-permanent send error (the record stays queued, first in line for the
// next Run), ctx's error, ErrClosed when the outbox is closed, or
// ErrRunning if another Run or Drain is active. While no Run is active the
// outbox is offline (see QoS0Policy), unless SetOnline says otherwise.
func (o *Outbox) Run(ctx context.Context, send SendFunc, pace Pace) error {
	return o.run(ctx, send, pace, false, 0)
}

// Drain sends the queued records as Run does, but returns nil once the
// outbox has stayed empty for linger (at once when linger is not
// positive) instead of waiting for Put indefinitely. It lets a transport
// send only while there is something to send (no goroutine parked on an
// empty outbox per connection): it calls Drain after Put, and again when
// Drain may have returned just before that Put; linger keeps a steady flow
// of Puts from starting a Drain per record. Drain does not make the
// outbox online: the transport says so with SetOnline.
func (o *Outbox) Drain(ctx context.Context, send SendFunc, pace Pace, linger time.Duration) error {
	return o.run(ctx, send, pace, true, linger)
}

// SetOnline tells the outbox whether the transport is connected, for
// QoS0Policy, when it sends with Drain (an active Run makes the outbox
// online by itself).
func (o *Outbox) SetOnline(online bool) {
	o.mu.Lock()
	o.online = online
	o.mu.Unlock()
}

// run is Run, or Drain when drain is set.
func (o *Outbox) run(ctx context.Context, send SendFunc, pace Pace, drain bool, linger time.Duration) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	if o.running {
		o.mu.Unlock()
		return ErrRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	o.running, o.draining, o.runCancel = true, drain, cancel
	o.active.Add(1)
	o.mu.Unlock()

	defer func() {
		cancel()
		o.mu.Lock()
		o.running, o.draining, o.runCancel = false, false, nil
		o.inflight, o.sending = nil, false
		o.mu.Unlock()
		o.active.Done()
	}()

	var idle *time.Timer // Drain's linger
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		if drain && linger > 0 {
			if idle == nil {
				idle = time.NewTimer(linger)
			} else {
				idle.Reset(linger)
			}
		}
		e, err := o.next(ctx, drain, idle)
		if e == nil && err == nil {
			return nil // drained
		}
		if err == nil {
			err = pace.wait(ctx, e.size)
		}
		if err != nil {
			return o.stopErr(err)
		}
		rec, ok := o.beginSend(e)
		if !ok {
			continue
		}
		err = send(ctx, rec)
		o.endSend(e, err)
		if err != nil && !IsPermanent(err) {
			return o.stopErr(err)
		}
	}
}

// stopErr is Run's result for err: ErrClosed if Close stopped it.
func (o *Outbox) stopErr(err error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	return err
}

// next waits for the oldest unexpired record and marks it in flight. With
// drain, it returns nil, nil instead of waiting when there is none, or,
// given an idle timer, when there was none until it fired.
func (o *Outbox) next(ctx context.Context, drain bool, idle *time.Timer) (*entry, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return nil, ErrClosed
		}
		o.inflight = nil
		drops := o.expireLocked(o.opts.Now())
		var e *entry
		if o.q.len() > 0 {
			e = o.q.at(0)
			o.inflight = e
		}
		o.mu.Unlock()
		o.report(drops)
		if e != nil || (drain && idle == nil) {
			return e, nil
		}
		var expired <-chan time.Time
		if idle != nil {
			expired = idle.C
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-o.notify:
		case <-expired:
			drain, idle = true, nil // one last look, then return
		}
	}
}

// beginSend checks that e may still be sent (it may have expired while
// Run waited for pace, or been quarantined) and marks it as being sent.
func (o *Outbox) beginSend(e *entry) (Record, bool) {
	o.mu.Lock()
	if e.removed {
		o.inflight = nil
		o.mu.Unlock()
		return Record{}, false
	}
	if o.expiredLocked(e, o.opts.Now()) {
		o.inflight = nil
		drops := o.removeAndPersistLocked([]*entry{e}, ErrExpired, false)
		o.mu.Unlock()
		o.report(drops)
		return Record{}, false
	}
	o.sending = true
	o.suspect = e
	rec := e.rec
	o.mu.Unlock()
	return rec, true
}

// endSend applies the outcome of e's send.
func (o *Outbox) endSend(e *entry, err error) {
	o.mu.Lock()
	drops := o.endSendLocked(e, err)
	o.mu.Unlock()
	o.report(drops)
}

// endSendLocked applies the outcome of e's send and returns the drops to
// report once the lock is released.
func (o *Outbox) endSendLocked(e *entry, err error) []drop {
	o.sending, o.inflight = false, nil
	var drops []drop
	switch {
	case e.removed:
	case err == nil:
		// Acknowledged: removed, so nothing is blamed on it any more.
		o.removeAndPersistLocked([]*entry{e}, nil, false)
	case IsPermanent(err):
		drops = o.removeAndPersistLocked([]*entry{e}, err, true)
	case e.quarantine:
		drops = o.removeAndPersistLocked([]*entry{e}, ErrQuarantined, true)
	}
	return drops
}
