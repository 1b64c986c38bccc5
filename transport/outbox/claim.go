package outbox

// Claim is a record that the caller sends itself, taken with Outbox.Claim.
type Claim struct {
	o    *Outbox
	e    *entry
	done chan struct{}
}

// Claim lets the caller send record seq itself, as one step of Run would,
// saving the hand-off to a sending goroutine when the outbox was idle. It
// succeeds only while no Run, Drain or other Claim is active and seq is
// the oldest record, unexpired. Until Claim.Done, the outbox behaves as
// during a Run's send: Run and Drain return ErrRunning, ConnectionLost
// blames the record, and Close waits for Done. Pacing is the caller's.
func (o *Outbox) Claim(seq uint64) (*Claim, bool) {
	o.mu.Lock()
	if o.closed || o.running || o.q.len() == 0 {
		o.mu.Unlock()
		return nil, false
	}
	e := o.q.at(0)
	if e.rec.Seq != seq || e.removed || o.expiredLocked(e, o.opts.Now()) {
		o.mu.Unlock()
		return nil, false // an expired record is dropped by the next Run
	}
	c := &Claim{o: o, e: e, done: make(chan struct{})}
	// Draining: a claim does not make the outbox online (SetOnline does).
	// Close cannot interrupt the caller's send: it waits for Done.
	o.running, o.draining, o.runCancel, o.runDone = true, true, func() {}, c.done
	o.inflight, o.sending, o.suspect = e, true, e
	o.mu.Unlock()
	return c, true
}

// Record returns the claimed record. Its slices must not be modified, nor
// retained after Done.
func (c *Claim) Record() Record { return c.e.rec }

// Done applies the outcome of the send, as Run does with SendFunc's
// result: nil removes the record (acknowledged), an error for which
// IsPermanent is true dead-letters it, and any other error leaves it first
// in line for the next Run or Drain. Call it once.
func (c *Claim) Done(err error) {
	c.o.endSend(c.e, err)
	c.o.mu.Lock()
	c.o.running, c.o.draining, c.o.runCancel, c.o.runDone = false, false, nil, nil
	c.o.mu.Unlock()
	close(c.done)
}
