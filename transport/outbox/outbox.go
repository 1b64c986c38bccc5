package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Outbox holds records until they are acknowledged. It is safe for
// concurrent use. Close it to release its files.
type Outbox struct {
	opts Options

	mu      sync.Mutex
	q       queue
	bytes   int64
	nextSeq uint64
	store   *diskStore // nil in memory
	closed  bool
	notify  chan struct{} // signalled by Put, wakes Run
	syncing *time.Timer   // pending SyncInterval fsync

	running   bool // a Run, Drain or Reservation is active
	draining  bool // it is a Drain (or a Reservation)
	online    bool // SetOnline
	runCancel context.CancelFunc
	active    sync.WaitGroup // the active Run, Drain or Reservation; Close waits for it
	inflight  *entry         // picked by Run: never dropped for room or age
	sending   bool           // inflight is inside send (or a reserved record, not put yet)
	suspect   *entry         // sent and not acknowledged: ConnectionLost blames it
	reserved  bool           // a Reservation's record is being sent and not put yet
	lostEarly bool           // ConnectionLost came while reserved: Reservation.Put blames the record
}

// drop is a record leaving the outbox undelivered, reported after the
// lock is released.
type drop struct {
	rec  Record
	err  error
	dead bool
}

// Open returns an outbox. With opts.Dir set it reads back the records of
// a previous run; damaged or torn data is skipped, repaired and reported
// to OnDrop as a *CorruptError before Open returns. Records read back are
// kept even beyond the bounds (the bounds apply to Put).
func Open(opts Options) (*Outbox, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := &Outbox{opts: opts.withDefaults(), notify: make(chan struct{}, 1), nextSeq: 1}
	if o.opts.Dir == "" {
		return o, nil
	}
	st, res, err := openStore(o.opts)
	if err != nil {
		return nil, err
	}
	o.store = st
	o.nextSeq = res.nextSeq
	for _, e := range res.entries {
		o.q.push(e)
		o.bytes += e.size
	}
	drops := make([]drop, 0, len(res.corrupt))
	for _, err := range res.corrupt {
		drops = append(drops, drop{err: err})
	}
	o.report(drops)
	return o, nil
}

// Put queues a copy of rec and returns its sequence number. Seq and
// Attempts are ignored; Enqueued is set to now unless set. A durable
// outbox has written the record (and synced it, under SyncAlways) when
// Put returns.
//
// Put fails with ErrInvalidRecord for an empty topic or a QoS above 1,
// ErrOffline for QoS 0 while offline under QoS0Drop, ErrTooLarge,
// ErrFull (see FullPolicy), ErrClosed, or a storage error. Failures other
// than ErrInvalidRecord and ErrClosed are also reported to OnDrop, with
// the record's Seq 0.
func (o *Outbox) Put(rec Record) (uint64, error) {
	e, err := o.put(rec, false)
	if err != nil {
		return 0, err
	}
	return e.rec.Seq, nil
}

// checkRecord returns why rec cannot be put, if it cannot: an invalid
// record, or one too large for the bounds.
func (o *Outbox) checkRecord(rec *Record) error {
	if rec.Topic == "" || rec.QoS > 1 {
		return fmt.Errorf("%w: topic %q, QoS %d", ErrInvalidRecord, rec.Topic, rec.QoS)
	}
	if size := rec.Size(); (o.opts.MaxBytes > 0 && size > o.opts.MaxBytes) || (o.store != nil && putFrameSize(rec) > maxFrameBody) {
		return fmt.Errorf("%w: %d bytes, MaxBytes %d", ErrTooLarge, size, o.opts.MaxBytes)
	}
	return nil
}

// put is Put, or Reservation.Put when reserved: then rec's data is kept,
// not copied, failures are not reported to OnDrop (the caller's send is
// under way), and the record is put in flight.
func (o *Outbox) put(rec Record, reserved bool) (*entry, error) {
	rec.Seq, rec.Attempts = 0, 0
	if err := o.checkRecord(&rec); err != nil {
		if !reserved && !errors.Is(err, ErrInvalidRecord) {
			o.report([]drop{{rec: rec, err: err}})
		}
		return nil, err
	}
	size := rec.Size()

	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil, ErrClosed
	}
	if rec.QoS == 0 && !o.onlineLocked() && o.opts.QoS0 == QoS0Drop {
		o.mu.Unlock()
		if !reserved {
			o.report([]drop{{rec: rec, err: ErrOffline}})
		}
		return nil, ErrOffline
	}
	now := o.opts.Now()
	drops := o.expireLocked(now)

	victims, ok := o.makeRoomLocked(size)
	if !ok {
		o.mu.Unlock()
		if !reserved {
			drops = append(drops, drop{rec: rec, err: ErrFull})
		}
		o.report(drops)
		return nil, ErrFull
	}

	if !reserved {
		rec.Payload, rec.Meta = copyRecordData(rec.Payload, rec.Meta)
	}
	if rec.Enqueued.IsZero() {
		rec.Enqueued = now
	}
	rec.Seq = o.nextSeq
	e := &entry{rec: rec, size: size}

	if o.store != nil {
		o.store.begin()
		for _, v := range victims {
			o.store.addDel(v.rec.Seq)
		}
		frame := o.store.addPut(&e.rec)
		seg, err := o.store.commit(o.nextSeq, false)
		if err != nil {
			o.mu.Unlock()
			if !reserved {
				rec.Seq = 0
				drops = append(drops, drop{rec: rec, err: err})
			}
			o.report(drops)
			return nil, err
		}
		o.store.track(e, seg, frame)
	}
	o.nextSeq++
	for _, v := range victims {
		o.removeLocked(v)
		drops = append(drops, drop{rec: v.rec, err: ErrFull})
	}
	o.q.push(e)
	o.bytes += size
	o.afterWriteLocked(len(victims) > 0)
	if reserved {
		o.inflight, o.suspect, o.reserved = e, e, false
		if o.lostEarly {
			o.lostEarly = false
			drops = append(drops, o.blameLocked(e)...)
		}
	}
	o.mu.Unlock()

	if !reserved {
		select {
		case o.notify <- struct{}{}:
		default:
		}
	}
	o.report(drops)
	return e, nil
}

// copyRecordData copies a record's payload and meta, which the caller may
// reuse, in one allocation.
func copyRecordData(payload, meta []byte) ([]byte, []byte) {
	if len(meta) == 0 {
		// The make-and-copy form lets the compiler skip zeroing the
		// buffer first: the payload is the whole record's data, often KiBs.
		p := make([]byte, len(payload))
		copy(p, payload)
		return p, nil
	}
	buf := make([]byte, len(payload)+len(meta))
	n := copy(buf, payload)
	copy(buf[n:], meta)
	return buf[:n:n], buf[n:]
}

// onlineLocked reports whether the transport is connected: a Run is
// active, or SetOnline said so.
func (o *Outbox) onlineLocked() bool {
	return o.online || (o.running && !o.draining)
}

// fitsLocked reports whether count records of bytes total are within
// the bounds.
func (o *Outbox) fitsLocked(count int, bytes int64) bool {
	return (o.opts.MaxMessages < 0 || count <= o.opts.MaxMessages) &&
		(o.opts.MaxBytes < 0 || bytes <= o.opts.MaxBytes)
}

// makeRoomLocked returns the records to drop, oldest first, so that one
// more record of size bytes fits, or false if it cannot fit under the
// policy. Nothing is removed yet.
func (o *Outbox) makeRoomLocked(size int64) ([]*entry, bool) {
	count, bytes := o.q.len()+1, o.bytes+size
	if o.fitsLocked(count, bytes) {
		return nil, true
	}
	if o.opts.Full == RejectNew {
		return nil, false
	}
	var victims []*entry
	for i := 0; i < o.q.len() && !o.fitsLocked(count, bytes); i++ {
		e := o.q.at(i)
		if e == o.inflight {
			continue
		}
		victims = append(victims, e)
		count--
		bytes -= e.size
	}
	return victims, o.fitsLocked(count, bytes)
}

// expiredLocked reports whether e is older than MaxAge.
func (o *Outbox) expiredLocked(e *entry, now time.Time) bool {
	return o.opts.MaxAge > 0 && now.Sub(e.rec.Enqueued) > o.opts.MaxAge
}

// expireLocked removes the expired records at the head of the queue
// (except the one in flight). Records are checked in queue order; one
// that expires behind a younger one (a clock set back) is dropped when it
// reaches the head, and never sent.
func (o *Outbox) expireLocked(now time.Time) []drop {
	var expired []*entry
	for i := 0; i < o.q.len(); i++ {
		e := o.q.at(i)
		if e == o.inflight {
			continue
		}
		if !o.expiredLocked(e, now) {
			break
		}
		expired = append(expired, e)
	}
	return o.removeAndPersistLocked(expired, ErrExpired, false)
}

// removeAndPersistLocked removes entries, durably, and returns their drops
// with reason err (none for a nil err: acknowledged). A failure to write
// the removal is logged: the records are gone from memory and may be
// replayed after a restart (at least once), which is better than failing
// the caller.
func (o *Outbox) removeAndPersistLocked(es []*entry, err error, dead bool) []drop {
	if len(es) == 0 {
		return nil
	}
	if o.store != nil {
		o.store.begin()
		for _, e := range es {
			o.store.addDel(e.rec.Seq)
		}
		if _, werr := o.store.commit(o.nextSeq, false); werr != nil {
			o.opts.Logger.Error("outbox: cannot persist removal; records may be replayed after a restart", "err", werr)
		}
	}
	var drops []drop
	if err != nil {
		drops = make([]drop, 0, len(es))
	}
	for _, e := range es {
		o.removeLocked(e)
		if err == nil {
			continue
		}
		reason := err
		if dead {
			reason = &DeadLetterError{Attempts: e.rec.Attempts, Err: err}
		}
		drops = append(drops, drop{rec: e.rec, err: reason, dead: dead})
	}
	o.afterWriteLocked(true)
	return drops
}

// removeLocked takes e out of memory.
func (o *Outbox) removeLocked(e *entry) {
	o.q.remove(e)
	o.bytes -= e.size
	e.removed = true
	if o.store != nil {
		o.store.untrack(e)
	}
	if o.suspect == e {
		o.suspect = nil
	}
}

// afterWriteLocked compacts after removals and schedules the interval sync.
func (o *Outbox) afterWriteLocked(removed bool) {
	if o.store == nil {
		return
	}
	if removed {
		if err := o.store.compact(&o.q, o.nextSeq); err != nil {
			o.opts.Logger.Error("outbox: compaction failed", "err", err)
		}
	}
	if o.opts.Sync == SyncInterval && o.store.dirty && o.syncing == nil {
		o.syncing = time.AfterFunc(o.opts.SyncInterval, o.intervalSync)
	}
}

// intervalSync is the SyncInterval timer's function.
func (o *Outbox) intervalSync() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.syncing = nil
	if o.closed {
		return
	}
	if err := o.store.sync(); err != nil {
		o.opts.Logger.Error("outbox: background fsync failed", "err", err)
	}
}

// ConnectionLost tells the outbox that the connection dropped. The record
// sent last and not acknowledged since, if any, is blamed: its Attempts
// grows by one, and at Options.QuarantineAfter it is dead-lettered with
// ErrQuarantined (once its send returns, if it is still in progress, and
// only if that send fails). Each call blames at most once, so the
// transport calls it once per drop.
func (o *Outbox) ConnectionLost() {
	o.mu.Lock()
	if o.reserved && !o.closed {
		o.lostEarly = true // blamed once put (Reservation.Put)
		o.mu.Unlock()
		return
	}
	e := o.suspect
	o.suspect = nil
	if o.closed || e == nil || e.removed {
		o.mu.Unlock()
		return
	}
	drops := o.blameLocked(e)
	o.mu.Unlock()
	o.report(drops)
}

// blameLocked counts a connection drop against e, the record sent last:
// at Options.QuarantineAfter it is dead-lettered, once its send ends if
// it is in progress.
func (o *Outbox) blameLocked(e *entry) []drop {
	e.rec.Attempts++
	switch {
	case o.opts.QuarantineAfter < 0 || e.rec.Attempts < o.opts.QuarantineAfter:
		o.persistAttemptsLocked(e)
	case o.sending && o.inflight == e:
		e.quarantine = true
		o.persistAttemptsLocked(e)
	default:
		return o.removeAndPersistLocked([]*entry{e}, ErrQuarantined, true)
	}
	return nil
}

// persistAttemptsLocked writes e's attempt count, so that quarantine
// survives a restart (e.g. a watchdog reboot after a disconnect loop).
func (o *Outbox) persistAttemptsLocked(e *entry) {
	if o.store == nil {
		return
	}
	o.store.begin()
	o.store.addAttempts(e.rec.Seq, e.rec.Attempts)
	if _, err := o.store.commit(o.nextSeq, false); err != nil {
		o.opts.Logger.Error("outbox: cannot persist attempt count", "seq", e.rec.Seq, "err", err)
	}
	o.afterWriteLocked(false)
}

// Len returns the number of records held, including one in flight.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.q.len()
}

// Bytes returns the sum of Record.Size over the records held.
func (o *Outbox) Bytes() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

// Sync flushes a durable outbox's writes to stable storage now, whatever
// the SyncPolicy (e.g. before a planned power-off). It is a no-op in
// memory.
func (o *Outbox) Sync() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	if o.store == nil {
		return nil
	}
	return o.store.sync()
}

// Close stops an active Run (which returns ErrClosed), waits for it,
// syncs and closes the files. Queued records stay in the directory for
// the next Open; an in-memory outbox reports them to OnDrop with
// ErrClosed. It must not be called from a SendFunc or a callback. Calling
// it again returns nil.
func (o *Outbox) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true // no Run, Drain or Reservation starts after this
	cancel := o.runCancel
	o.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	o.active.Wait()
	o.mu.Lock()
	if o.syncing != nil {
		o.syncing.Stop()
		o.syncing = nil
	}
	if o.store != nil {
		err := o.store.close()
		o.mu.Unlock()
		return err
	}
	drops := make([]drop, 0, o.q.len())
	for o.q.len() > 0 {
		e := o.q.at(0)
		o.removeLocked(e)
		drops = append(drops, drop{rec: e.rec, err: ErrClosed})
	}
	o.mu.Unlock()
	o.report(drops)
	return nil
}

// report delivers drops to the callbacks; called without the lock.
func (o *Outbox) report(drops []drop) {
	for _, d := range drops {
		if d.dead && o.opts.OnDeadLetter != nil {
			o.opts.OnDeadLetter(d.rec, d.err)
		}
		if o.opts.OnDrop != nil {
			o.opts.OnDrop(d.rec, d.err)
		} else {
			o.opts.Logger.Warn("outbox: message dropped", "seq", d.rec.Seq, "topic", d.rec.Topic, "reason", d.err)
		}
	}
}
