package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// reserve reserves the idle outbox o for a record with payload p.
func reserve(t *testing.T, o *Outbox, p string) Reservation {
	t.Helper()
	r, ok, err := o.Reserve(Record{Topic: "t", Payload: []byte(p), QoS: 1})
	if err != nil || !ok {
		t.Fatalf("Reserve(%q) = %v, %v; want a reservation", p, ok, err)
	}
	return r
}

// putReserved puts a reservation's record and returns its claim.
func putReserved(t *testing.T, r Reservation) Claim {
	t.Helper()
	c, err := r.Put()
	if err != nil {
		t.Fatalf("Reservation.Put: %v", err)
	}
	return c
}

func TestReserveOnlyAnIdleEmptyOutbox(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "queued")
	if _, ok, err := o.Reserve(Record{Topic: "t", Payload: []byte("a"), QoS: 1}); ok || err != nil {
		t.Fatalf("Reserve with a record queued = %v, %v; want false, nil", ok, err)
	}
	if err := o.Drain(context.Background(), func(context.Context, Record) error { return nil }, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	r := reserve(t, o, "a")
	if _, ok, _ := o.Reserve(Record{Topic: "t", Payload: []byte("b"), QoS: 1}); ok {
		t.Fatal("reserved twice")
	}
	if err := o.Drain(context.Background(), func(context.Context, Record) error { return nil }, Pace{}, 0); !errors.Is(err, ErrRunning) {
		t.Fatalf("Drain during a reservation = %v, want ErrRunning", err)
	}
	c := putReserved(t, r)
	if err := o.Drain(context.Background(), func(context.Context, Record) error { return nil }, Pace{}, 0); !errors.Is(err, ErrRunning) {
		t.Fatalf("Drain during a claimed send = %v, want ErrRunning", err)
	}
	if got := string(c.Record().Payload); got != "a" {
		t.Fatalf("claimed %q, want a", got)
	}
	c.Done(nil)
	if n := o.Len(); n != 0 {
		t.Fatalf("an acknowledged claim left %d records", n)
	}
	reserve(t, o, "c").Cancel() // reservable again after Done
}

func TestReserveChecksTheRecordWithoutReporting(t *testing.T) {
	o, log := open(t, Options{MaxBytes: 8})
	if _, ok, err := o.Reserve(Record{Topic: "t", Payload: []byte("too large for it"), QoS: 1}); ok || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Reserve of an oversize record = %v, %v; want ErrTooLarge", ok, err)
	}
	if _, ok, err := o.Reserve(Record{Payload: []byte("a"), QoS: 1}); ok || !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Reserve without a topic = %v, %v; want ErrInvalidRecord", ok, err)
	}
	if drops := log.all(); len(drops) != 0 {
		t.Fatalf("Reserve reported %v to OnDrop: the caller decides", drops)
	}
	// A refused reservation holds nothing.
	reserve(t, o, "a").Cancel()
}

// The reserved record's data is handed over, not copied: what the caller
// publishes and what the outbox replays are the same bytes.
func TestReservationKeepsTheCallersData(t *testing.T) {
	o, _ := open(t, Options{})
	payload := []byte("a")
	r, _, _ := o.Reserve(Record{Topic: "t", Payload: payload, QoS: 1})
	c := putReserved(t, r)
	if &c.Record().Payload[0] != &payload[0] {
		t.Fatal("Reservation.Put copied the payload")
	}
	c.Done(errors.New("connection lost"))
}

func TestClaimOutcomes(t *testing.T) {
	o, log := open(t, Options{})
	c := putReserved(t, reserve(t, o, "a"))
	if n, _ := c.Done(errors.New("connection lost")); n != 1 {
		t.Fatalf("Done after a failed send = %d queued, want 1", n)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a"}) {
		t.Fatalf("after a failed send the outbox holds %v, want [a]", got)
	}
	r := &recorder{}
	if err := o.Drain(context.Background(), r.send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a"}) {
		t.Fatalf("Drain sent %v, want the failed record [a]", got)
	}
	c = putReserved(t, reserve(t, o, "b"))
	c.Done(Permanent(validationError{}))
	if n := o.Len(); n != 0 {
		t.Fatalf("a permanent error left %d records", n)
	}
	if dead := log.deadLetters(); len(dead) != 1 || string(dead[0].rec.Payload) != "b" {
		t.Fatalf("dead letters %v, want b", dead)
	}
}

// Done releases the record's data to the caller only when it leaves the
// outbox acknowledged: a record kept for a resend, or handed to
// OnDeadLetter, is not released.
func TestClaimDoneReleasesOnlyAnAcknowledgedRecord(t *testing.T) {
	o, log := open(t, Options{QuarantineAfter: 1})
	c := putReserved(t, reserve(t, o, "kept"))
	if n, released := c.Done(errors.New("connection lost")); n != 1 || released {
		t.Fatalf("Done after a failed send = %d, %v; want 1 queued, not released", n, released)
	}
	if err := o.Drain(context.Background(), (&recorder{}).send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	c = putReserved(t, reserve(t, o, "dead"))
	if _, released := c.Done(Permanent(validationError{})); released {
		t.Fatal("a dead-lettered record was released")
	}
	if dead := log.deadLetters(); len(dead) != 1 {
		t.Fatalf("dead letters %v, want one", dead)
	}
	c = putReserved(t, reserve(t, o, "acked"))
	if n, released := c.Done(nil); n != 0 || !released {
		t.Fatalf("Done(nil) = %d, %v; want 0 queued, released", n, released)
	}
	// Blamed for a connection loss, then acknowledged after all: it left
	// acknowledged, handed to nobody.
	c = putReserved(t, reserve(t, o, "blamed"))
	o.ConnectionLost()
	if _, released := c.Done(nil); !released {
		t.Fatal("an acknowledged record blamed for a connection loss was not released")
	}
	if dead := log.deadLetters(); len(dead) != 1 {
		t.Fatalf("dead letters %v, want still one", dead)
	}
}

// Records put by others while a reservation's record is being sent are
// ahead of it in line, and a Drain after a failed send sends them first.
func TestReservedRecordQueuesBehindPutsMeanwhile(t *testing.T) {
	o, _ := open(t, Options{})
	res := reserve(t, o, "reserved")
	put(t, o, "meanwhile")
	c := putReserved(t, res)
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"meanwhile", "reserved"}) {
		t.Fatalf("outbox holds %v, want [meanwhile reserved]", got)
	}
	if n, _ := c.Done(errors.New("connection lost")); n != 2 {
		t.Fatalf("Done = %d queued, want 2", n)
	}
	r := &recorder{}
	if err := o.Drain(context.Background(), r.send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"meanwhile", "reserved"}) {
		t.Fatalf("Drain sent %v, want [meanwhile reserved]", got)
	}
}

func TestClaimedRecordIsBlamedForConnectionLoss(t *testing.T) {
	o, log := open(t, Options{QuarantineAfter: 1})
	c := putReserved(t, reserve(t, o, "a"))
	o.ConnectionLost() // the send still runs: decided when it ends
	if n := o.Len(); n != 1 {
		t.Fatalf("record dropped while its send runs (%d left)", n)
	}
	c.Done(errors.New("connection lost"))
	if dead := log.deadLetters(); len(dead) != 1 || !errors.Is(dead[0].err, ErrQuarantined) {
		t.Fatalf("dead letters %v, want a quarantined", dead)
	}
}

// A connection lost after Reserve, before the record is put, is blamed on
// it once put: its publish was under way.
func TestReservedRecordIsBlamedForAnEarlyConnectionLoss(t *testing.T) {
	o, log := open(t, Options{QuarantineAfter: 2})
	res := reserve(t, o, "a")
	o.ConnectionLost()
	c := putReserved(t, res)
	if got := c.Record().Attempts; got != 1 {
		t.Fatalf("Attempts = %d after a drop before Put, want 1", got)
	}
	o.ConnectionLost() // the second strike, the send still running
	c.Done(errors.New("connection lost"))
	if dead := log.deadLetters(); len(dead) != 1 || !errors.Is(dead[0].err, ErrQuarantined) {
		t.Fatalf("dead letters %v, want a quarantined after two drops", dead)
	}
}

// A cancelled reservation leaves nothing: no record, no blame, Drain and
// Close no longer wait for it.
func TestReservationCancel(t *testing.T) {
	o, _ := open(t, Options{QuarantineAfter: 1})
	res := reserve(t, o, "a")
	o.ConnectionLost()
	res.Cancel()
	if n := o.Len(); n != 0 {
		t.Fatalf("a cancelled reservation left %d records", n)
	}
	c := putReserved(t, reserve(t, o, "b"))
	if got := c.Record().Attempts; got != 0 {
		t.Fatalf("the next reservation's record was blamed (%d attempts) for a drop before it", got)
	}
	c.Done(nil)
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an ended reservation")
	}
}

func TestCloseWaitsForReservation(t *testing.T) {
	o, log := open(t, Options{})
	res := reserve(t, o, "a")
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned before the reserved send ended")
	case <-time.After(50 * time.Millisecond):
	}
	// Closed meanwhile: the record cannot be kept, and is not reported
	// (its send is the caller's).
	if _, err := res.Put(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if drops := log.all(); len(drops) != 0 {
		t.Fatalf("reported %v", drops)
	}
}

func TestCloseWaitsForClaim(t *testing.T) {
	o, log := open(t, Options{})
	c := putReserved(t, reserve(t, o, "a"))
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned before the claimed send ended")
	case <-time.After(50 * time.Millisecond):
	}
	c.Done(nil)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if drops := log.all(); len(drops) != 0 {
		t.Fatalf("acknowledged record reported dropped: %v", drops)
	}
}

// A reserved record that no longer fits (RejectNew, filled meanwhile)
// fails Put with ErrFull, unreported, and the reservation ends.
func TestReservationPutFull(t *testing.T) {
	o, log := open(t, Options{MaxMessages: 1, Full: RejectNew})
	res := reserve(t, o, "reserved")
	put(t, o, "meanwhile")
	if _, err := res.Put(); !errors.Is(err, ErrFull) {
		t.Fatalf("Put into a full outbox = %v, want ErrFull", err)
	}
	if drops := log.all(); len(drops) != 0 {
		t.Fatalf("reported %v", drops)
	}
	r := &recorder{}
	if err := o.Drain(context.Background(), r.send, Pace{}, 0); err != nil {
		t.Fatalf("Drain after a failed reserved Put = %v: the reservation should have ended", err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"meanwhile"}) {
		t.Fatalf("Drain sent %v, want [meanwhile]", got)
	}
}

// A claim is read by its sender while the connection event's goroutine
// blames its record (ConnectionLost writes Attempts): run with -race.
func TestClaimReadWhileConnectionLost(t *testing.T) {
	o, _ := open(t, Options{QuarantineAfter: -1})
	c := putReserved(t, reserve(t, o, "a"))
	defer c.Done(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.ConnectionLost()
	}()
	for range 100 {
		if got := c.Seq(); got != 1 {
			t.Fatalf("Seq = %d, want 1", got)
		}
		if got := c.Record().Attempts; got > 1 {
			t.Fatalf("Attempts = %d, want 0 or 1", got)
		}
	}
	<-done
	if got := c.Record().Attempts; got != 1 {
		t.Fatalf("Attempts = %d after a drop, want 1", got)
	}
}
