package outbox

// Claim is a record that the caller sends itself, taken with Outbox.Claim.
// It is a small value: claiming allocates nothing.
type Claim struct {
	o *Outbox
	e *entry
}

// noCancel is a Claim's runCancel: Close cannot interrupt the caller's
// send, it waits for Done.
func noCancel() {}

// Claim lets the caller send record seq itself, as one step of Run would,
// saving the hand-off to a sending goroutine when the outbox was idle. It
// succeeds only while no Run, Drain or other Claim is active and seq is
// the oldest record, unexpired. Until Claim.Done, the outbox behaves as
// during a Run's send: Run and Drain return ErrRunning, ConnectionLost
// blames the record, and Close waits for Done. Pacing is the caller's.
func (o *Outbox) Claim(seq uint64) (Claim, bool) {
	o.mu.Lock()
	if o.closed || o.running || o.q.len() == 0 {
		o.mu.Unlock()
		return Claim{}, false
	}
	e := o.q.at(0)
	if e.rec.Seq != seq || e.removed || o.expiredLocked(e, o.opts.Now()) {
		o.mu.Unlock()
		return Claim{}, false // an expired record is dropped by the next Run
	}
	// Draining: a claim does not make the outbox online (SetOnline does).
	o.running, o.draining, o.runCancel = true, true, noCancel
	o.inflight, o.sending, o.suspect = e, true, e
	o.active.Add(1)
	o.mu.Unlock()
	return Claim{o: o, e: e}, true
}

// Record returns the claimed record. Its slices must not be modified, nor
// retained after Done.
func (c Claim) Record() Record { return c.e.rec }

// Release gives the claimed record back unsent, first in line as before,
// for a caller that found it cannot send it now after all. Call it instead
// of Done.
func (c Claim) Release() {
	o := c.o
	o.mu.Lock()
	// A claimed record is the newest put and was never sent: nothing
	// was blamed on it, and nothing else was the suspect (an older
	// unacknowledged record would be first in line, and Claim fails then).
	o.inflight, o.sending, o.suspect = nil, false, nil
	o.running, o.draining, o.runCancel = false, false, nil
	o.mu.Unlock()
	o.active.Done()
}

// Done applies the outcome of the send, as Run does with SendFunc's
// result: nil removes the record (acknowledged), an error for which
// IsPermanent is true dead-letters it, and any other error leaves it first
// in line for the next Run or Drain. It returns the number of records the
// outbox holds then, so that the caller knows whether to start a Drain.
// Call it once.
func (c Claim) Done(err error) (queued int) {
	o := c.o
	o.mu.Lock()
	drops := o.endSendLocked(c.e, err)
	o.running, o.draining, o.runCancel = false, false, nil
	queued = o.q.len()
	o.mu.Unlock()
	o.report(drops)
	o.active.Done() // after report: Close returns after every OnDrop
	return queued
}
