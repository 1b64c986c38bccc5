package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClaimOnlyTheIdleHead(t *testing.T) {
	o, _ := open(t, Options{})
	a := put(t, o, "a")
	b := put(t, o, "b")
	if _, ok := o.Claim(b); ok {
		t.Fatal("claimed a record that is not first in line")
	}
	c, ok := o.Claim(a)
	if !ok {
		t.Fatal("could not claim the first record of an idle outbox")
	}
	if got := string(c.Record().Payload); got != "a" {
		t.Fatalf("claimed %q, want a", got)
	}
	if _, ok := o.Claim(a); ok {
		t.Fatal("claimed twice")
	}
	if err := o.Drain(context.Background(), func(context.Context, Record) error { return nil }, Pace{}, 0); !errors.Is(err, ErrRunning) {
		t.Fatalf("Drain during a claim = %v, want ErrRunning", err)
	}
	c.Done(nil)
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"b"}) {
		t.Fatalf("after an acknowledged claim the outbox holds %v, want [b]", got)
	}
	// Once done, Run and Drain work again.
	r := &recorder{}
	if err := o.Drain(context.Background(), r.send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"b"}) {
		t.Fatalf("Drain sent %v, want [b]", got)
	}
}

func TestClaimOutcomes(t *testing.T) {
	o, log := open(t, Options{})
	a := put(t, o, "a")
	c, _ := o.Claim(a)
	c.Done(errors.New("connection lost"))
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a"}) {
		t.Fatalf("after a failed send the outbox holds %v, want [a] first in line", got)
	}
	c, ok := o.Claim(a)
	if !ok {
		t.Fatal("could not claim the record again")
	}
	c.Done(Permanent(validationError{}))
	if n := o.Len(); n != 0 {
		t.Fatalf("a permanent error left %d records", n)
	}
	if dead := log.deadLetters(); len(dead) != 1 || string(dead[0].rec.Payload) != "a" {
		t.Fatalf("dead letters %v, want a", dead)
	}
}

func TestClaimedRecordIsBlamedForConnectionLoss(t *testing.T) {
	o, log := open(t, Options{QuarantineAfter: 1})
	a := put(t, o, "a")
	c, _ := o.Claim(a)
	o.ConnectionLost() // the send still runs: decided when it ends
	if n := o.Len(); n != 1 {
		t.Fatalf("record dropped while its send runs (%d left)", n)
	}
	c.Done(errors.New("connection lost"))
	if dead := log.deadLetters(); len(dead) != 1 || !errors.Is(dead[0].err, ErrQuarantined) {
		t.Fatalf("dead letters %v, want a quarantined", dead)
	}
}

func TestClaimSkipsExpiredRecords(t *testing.T) {
	clock := newFakeClock()
	o, _ := open(t, Options{MaxAge: time.Minute, Now: clock.Now})
	a := put(t, o, "a")
	clock.Advance(2 * time.Minute)
	if _, ok := o.Claim(a); ok {
		t.Fatal("claimed an expired record")
	}
}

func TestCloseWaitsForClaim(t *testing.T) {
	o, log := open(t, Options{})
	c, _ := o.Claim(put(t, o, "a"))
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

// A released claim leaves the record first in line, unblamed: a
// connection drop does not count against it, Drain sends it, and Close
// does not wait for the claim any more.
func TestClaimRelease(t *testing.T) {
	o, _ := open(t, Options{QuarantineAfter: 1})
	a := put(t, o, "a")
	c, ok := o.Claim(a)
	if !ok {
		t.Fatal("could not claim the first record")
	}
	c.Release()
	o.ConnectionLost() // would dead-letter a blamed record at QuarantineAfter 1
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a"}) {
		t.Fatalf("after Release the outbox holds %v, want [a]", got)
	}
	r := &recorder{}
	if err := o.Drain(context.Background(), r.send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a"}) {
		t.Fatalf("Drain sent %v, want [a]", got)
	}
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a released claim")
	}
}
