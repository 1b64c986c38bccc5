package outbox

// Reservation is the outbox's sending role, taken with Outbox.Reserve by
// a caller that publishes a record itself and puts it once the publish
// is under way. It is a small value: reserving allocates nothing.
type Reservation struct {
	o   *Outbox
	rec Record
}

// Claim is a record being sent by the caller, put with Reservation.Put.
type Claim struct {
	o *Outbox
	e *entry
}

// noCancel is a Reservation's runCancel: Close cannot interrupt the
// caller's send, it waits for the reservation to end.
func noCancel() {}

// Reserve lets the caller send rec itself, as one step of Run would,
// saving the hand-off to a sending goroutine when the outbox is idle:
// the caller reserves, starts publishing rec, and then puts it with
// Reservation.Put, so that what Put costs (the bookkeeping, a durable
// outbox's write) overlaps the network round trip instead of delaying
// the publish. rec's Payload and Meta are kept as they are, not copied:
// the caller hands them over and must not modify them.
//
// Reserve checks rec as Put does and fails with the same errors for an
// invalid or too large record, without reporting it to OnDrop. It
// reports false, with a nil error, unless the outbox is empty, open, and
// no Run, Drain or other reservation is active. Until the reservation
// ends (Cancel, or Done on the Claim that Put returns) the outbox behaves
// as during a Run's send: Run and Drain return ErrRunning, Close waits,
// and ConnectionLost blames rec, even before it is put. Pacing is the
// caller's.
func (o *Outbox) Reserve(rec Record) (Reservation, bool, error) {
	if err := o.checkRecord(&rec); err != nil {
		return Reservation{}, false, err
	}
	o.mu.Lock()
	if o.closed || o.running || o.q.len() > 0 {
		o.mu.Unlock()
		return Reservation{}, false, nil
	}
	// Draining: a reservation does not make the outbox online (SetOnline does).
	o.running, o.draining, o.runCancel = true, true, noCancel
	o.sending, o.reserved, o.lostEarly = true, true, false
	o.active.Add(1)
	o.mu.Unlock()
	return Reservation{o: o, rec: rec}, true, nil
}

// Record returns the reserved record. Its slices must not be modified.
func (r Reservation) Record() Record { return r.rec }

// Put queues the reserved record, in flight: Claim.Done applies the
// outcome of its send. Records put by others since Reserve are ahead of
// it in line (they were put first). Put fails as Outbox.Put does, except
// for ErrInvalidRecord and ErrTooLarge, which Reserve reported, and
// without reporting the record to OnDrop: its send is under way, and the
// caller decides what its failure means. On failure the reservation has
// ended. Call Put or Cancel once.
func (r Reservation) Put() (Claim, error) {
	e, err := r.o.put(r.rec, true)
	if err != nil {
		r.Cancel()
		return Claim{}, err
	}
	return Claim{o: r.o, e: e}, nil
}

// Cancel ends the reservation without putting the record, for a caller
// that did not send it after all.
func (r Reservation) Cancel() {
	o := r.o
	o.mu.Lock()
	// Nothing was put, so nothing is in flight or blamed.
	o.sending, o.reserved, o.lostEarly = false, false, false
	o.running, o.draining, o.runCancel = false, false, nil
	o.mu.Unlock()
	o.active.Done()
}

// Seq returns the claimed record's sequence number. It needs no lock:
// Seq is set before the entry is shared and never written again, unlike
// Attempts (see Record).
func (c Claim) Seq() uint64 { return c.e.rec.Seq }

// Record returns a copy of the claimed record as it is now: ConnectionLost
// may count an attempt against it at any time. Its slices must not be
// modified, nor retained after Done.
func (c Claim) Record() Record {
	c.o.mu.Lock()
	defer c.o.mu.Unlock()
	return c.e.rec
}

// Done applies the outcome of the send, as Run does with SendFunc's
// result: nil removes the record (acknowledged), an error for which
// IsPermanent is true dead-letters it, and any other error leaves it in
// line for the next Run or Drain. It returns the number of records the
// outbox holds then, so that the caller knows whether to start a Drain,
// and whether the record was released: it left the outbox acknowledged,
// handed to no OnDrop or OnDeadLetter, so the outbox holds no reference
// to its slices and the caller may reuse them. Call it once.
func (c Claim) Done(err error) (queued int, released bool) {
	o := c.o
	o.mu.Lock()
	released = err == nil && !c.e.removed
	drops := o.endSendLocked(c.e, err)
	o.running, o.draining, o.runCancel = false, false, nil
	queued = o.q.len()
	o.mu.Unlock()
	o.report(drops)
	o.active.Done() // after report: Close returns after every OnDrop
	return queued, released
}
