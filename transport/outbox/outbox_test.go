package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPutAssignsIncreasingSeqAndCopies(t *testing.T) {
	o, _ := open(t, Options{})
	payload := []byte("abc")
	meta := []byte("m")
	s1, err := o.Put(Record{Topic: "t", Payload: payload, Meta: meta, QoS: 1, Seq: 99, Attempts: 7})
	if err != nil {
		t.Fatal(err)
	}
	s2 := put(t, o, "def")
	if s1 != 1 || s2 != 2 {
		t.Fatalf("seqs = %d, %d; want 1, 2", s1, s2)
	}
	payload[0], meta[0] = 'X', 'X' // the caller reuses its buffers
	recs := snapshot(o)
	if got := string(recs[0].Payload); got != "abc" {
		t.Errorf("payload = %q, want a copy %q", got, "abc")
	}
	if got := string(recs[0].Meta); got != "m" {
		t.Errorf("meta = %q, want a copy %q", got, "m")
	}
	if recs[0].Attempts != 0 || recs[0].Enqueued.IsZero() {
		t.Errorf("attempts = %d, enqueued = %v; want 0 and set", recs[0].Attempts, recs[0].Enqueued)
	}
	if o.Len() != 2 || o.Bytes() != int64(len("tabcm")+len("tdef")) {
		t.Errorf("Len, Bytes = %d, %d", o.Len(), o.Bytes())
	}
}

func TestPutKeepsCallerEnqueued(t *testing.T) {
	o, _ := open(t, Options{})
	at := time.Now().Add(-time.Minute)
	if _, err := o.Put(Record{Topic: "t", QoS: 1, Enqueued: at}); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(o)[0].Enqueued; !got.Equal(at) {
		t.Errorf("Enqueued = %v, want %v", got, at)
	}
}

func TestPutRejectsInvalidRecord(t *testing.T) {
	o, log := open(t, Options{})
	for _, rec := range []Record{{Topic: "", QoS: 1}, {Topic: "t", QoS: 2}} {
		if _, err := o.Put(rec); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("Put(%+v) = %v, want ErrInvalidRecord", rec, err)
		}
	}
	if o.Len() != 0 || len(log.all()) != 0 {
		t.Errorf("Len = %d, drops = %v; want nothing", o.Len(), log.all())
	}
}

func TestDropOldestByCount(t *testing.T) {
	o, log := open(t, Options{MaxMessages: 3})
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		put(t, o, p)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"c", "d", "e"}) {
		t.Errorf("queued = %v, want [c d e]", got)
	}
	drops := log.all()
	if len(drops) != 2 {
		t.Fatalf("drops = %v, want 2", drops)
	}
	for i, want := range []string{"a", "b"} {
		if string(drops[i].rec.Payload) != want || drops[i].rec.Seq != uint64(i+1) || !errors.Is(drops[i].err, ErrFull) {
			t.Errorf("drop %d = %q seq %d %v; want %q seq %d ErrFull", i, drops[i].rec.Payload, drops[i].rec.Seq, drops[i].err, want, i+1)
		}
	}
}

func TestDropOldestByBytes(t *testing.T) {
	// Each record weighs 1 (topic) + 4 (payload) = 5 bytes.
	o, log := open(t, Options{MaxBytes: 12})
	for _, p := range []string{"aaaa", "bbbb", "cccc"} {
		put(t, o, p)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"bbbb", "cccc"}) {
		t.Errorf("queued = %v, want [bbbb cccc]", got)
	}
	if o.Bytes() != 10 {
		t.Errorf("Bytes = %d, want 10", o.Bytes())
	}
	if drops := log.all(); len(drops) != 1 || string(drops[0].rec.Payload) != "aaaa" || !errors.Is(drops[0].err, ErrFull) {
		t.Errorf("drops = %v, want aaaa with ErrFull", drops)
	}
}

func TestRejectNew(t *testing.T) {
	o, log := open(t, Options{MaxMessages: 2, Full: RejectNew})
	put(t, o, "a")
	put(t, o, "b")
	seq, err := o.Put(Record{Topic: "t", Payload: []byte("c"), QoS: 1})
	if !errors.Is(err, ErrFull) || seq != 0 {
		t.Fatalf("Put = %d, %v; want 0, ErrFull", seq, err)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a", "b"}) {
		t.Errorf("queued = %v, want [a b]", got)
	}
	drops := log.all()
	if len(drops) != 1 || string(drops[0].rec.Payload) != "c" || drops[0].rec.Seq != 0 || !errors.Is(drops[0].err, ErrFull) {
		t.Errorf("drops = %v, want the rejected record c (seq 0) with ErrFull", drops)
	}
	// The next Put after the seq that was not used gets the next number.
	if _, err := o.Put(Record{Topic: "t", QoS: 1}); !errors.Is(err, ErrFull) {
		t.Errorf("second Put = %v, want ErrFull", err)
	}
}

func TestTooLarge(t *testing.T) {
	for _, full := range []FullPolicy{DropOldest, RejectNew} {
		o, log := open(t, Options{MaxBytes: 10, Full: full})
		put(t, o, "a")
		_, err := o.Put(Record{Topic: "t", Payload: make([]byte, 10), QoS: 1})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("policy %d: Put = %v, want ErrTooLarge", full, err)
		}
		if o.Len() != 1 {
			t.Errorf("policy %d: Len = %d; nothing may be dropped for a record that can never fit", full, o.Len())
		}
		if drops := log.all(); len(drops) != 1 || !errors.Is(drops[0].err, ErrTooLarge) {
			t.Errorf("policy %d: drops = %v, want one ErrTooLarge", full, drops)
		}
	}
}

func TestDropOldestSparesRecordInFlight(t *testing.T) {
	o, log := open(t, Options{MaxMessages: 2})
	put(t, o, "a")
	put(t, o, "b")
	sending := make(chan struct{})
	release := make(chan struct{})
	var sent []string
	send := func(ctx context.Context, rec Record) error {
		sent = append(sent, string(rec.Payload))
		if len(sent) == 1 {
			close(sending)
			<-release
		}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, send, Pace{}) }()
	<-sending
	put(t, o, "c") // drops b, not a (in flight)
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a", "c"}) {
		t.Errorf("queued = %v, want [a c]", got)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for o.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !equalStrings(sent, []string{"a", "c"}) {
		t.Errorf("sent = %v, want [a c]", sent)
	}
	if drops := log.all(); len(drops) != 1 || string(drops[0].rec.Payload) != "b" {
		t.Errorf("drops = %v, want b", drops)
	}
}

func TestFullWhenOnlyInFlightRecordFills(t *testing.T) {
	o, log := open(t, Options{MaxMessages: 1})
	put(t, o, "a")
	o.mu.Lock()
	o.inflight = o.q.at(0)
	o.mu.Unlock()
	if _, err := o.Put(Record{Topic: "t", QoS: 1}); !errors.Is(err, ErrFull) {
		t.Errorf("Put = %v, want ErrFull", err)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"a"}) {
		t.Errorf("queued = %v, want [a]", got)
	}
	if drops := log.all(); len(drops) != 1 || drops[0].rec.Seq != 0 {
		t.Errorf("drops = %v, want the rejected record only", drops)
	}
}

func TestAgeExpiryOnPut(t *testing.T) {
	clock := newFakeClock()
	o, log := open(t, Options{MaxAge: time.Minute, Now: clock.Now})
	put(t, o, "old1")
	put(t, o, "old2")
	clock.Advance(30 * time.Second)
	put(t, o, "young")
	clock.Advance(31 * time.Second) // old ones are 61 s old, young 31 s
	put(t, o, "new")
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"young", "new"}) {
		t.Errorf("queued = %v, want [young new]", got)
	}
	drops := log.all()
	if len(drops) != 2 || !errors.Is(drops[0].err, ErrExpired) || !errors.Is(drops[1].err, ErrExpired) ||
		string(drops[0].rec.Payload) != "old1" || string(drops[1].rec.Payload) != "old2" {
		t.Errorf("drops = %v, want old1, old2 with ErrExpired", drops)
	}
}

func TestAgeExpiryNeverSends(t *testing.T) {
	clock := newFakeClock()
	o, log := open(t, Options{MaxAge: time.Minute, Now: clock.Now})
	put(t, o, "a")
	put(t, o, "b")
	clock.Advance(2 * time.Minute)
	put(t, o, "c")
	r := &recorder{}
	_ = runUntil(t, o, r, 1, Pace{})
	if got := r.sentPayloads(); !equalStrings(got, []string{"c"}) {
		t.Errorf("sent = %v, want [c]", got)
	}
	if n := len(log.all()); n != 2 {
		t.Errorf("%d drops, want 2", n)
	}
}

func TestNegativeBoundsMeanUnlimited(t *testing.T) {
	clock := newFakeClock()
	o, log := open(t, Options{MaxMessages: -1, MaxBytes: -1, MaxAge: -1, Now: clock.Now})
	for range DefaultMaxMessages + 1 {
		put(t, o, "x")
	}
	clock.Advance(100 * 365 * 24 * time.Hour)
	put(t, o, "y")
	if o.Len() != DefaultMaxMessages+2 || len(log.all()) != 0 {
		t.Errorf("Len = %d, drops = %d; want everything kept", o.Len(), len(log.all()))
	}
}

func TestQoS0WhileOffline(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		o, log := open(t, Options{})
		_, err := o.Put(Record{Topic: "t", Payload: []byte("q0"), QoS: 0})
		if !errors.Is(err, ErrOffline) {
			t.Fatalf("Put = %v, want ErrOffline", err)
		}
		if drops := log.all(); len(drops) != 1 || string(drops[0].rec.Payload) != "q0" || !errors.Is(drops[0].err, ErrOffline) {
			t.Errorf("drops = %v, want q0 with ErrOffline", drops)
		}
		if o.Len() != 0 {
			t.Errorf("Len = %d, want 0", o.Len())
		}
	})
	t.Run("queue", func(t *testing.T) {
		o, log := open(t, Options{QoS0: QoS0Queue})
		if _, err := o.Put(Record{Topic: "t", Payload: []byte("q0"), QoS: 0}); err != nil {
			t.Fatal(err)
		}
		put(t, o, "q1")
		r := &recorder{}
		_ = runUntil(t, o, r, 2, Pace{})
		if got := r.sentPayloads(); !equalStrings(got, []string{"q0", "q1"}) {
			t.Errorf("sent = %v, want [q0 q1]", got)
		}
		if r.sent[0].QoS != 0 || r.sent[1].QoS != 1 {
			t.Errorf("QoS sent = %d, %d; want 0, 1", r.sent[0].QoS, r.sent[1].QoS)
		}
		if len(log.all()) != 0 {
			t.Errorf("drops = %v", log.all())
		}
	})
	t.Run("online", func(t *testing.T) {
		o, log := open(t, Options{})
		got := make(chan Record, 1)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- o.Run(ctx, func(ctx context.Context, rec Record) error { got <- rec; return nil }, Pace{})
		}()
		// Run is active once a QoS 1 record goes through it.
		put(t, o, "first")
		<-got
		if _, err := o.Put(Record{Topic: "t", Payload: []byte("q0"), QoS: 0}); err != nil {
			t.Fatalf("Put QoS 0 while online = %v", err)
		}
		if rec := <-got; string(rec.Payload) != "q0" {
			t.Errorf("sent %q, want q0", rec.Payload)
		}
		cancel()
		<-done
		if len(log.all()) != 0 {
			t.Errorf("drops = %v", log.all())
		}
	})
}

func TestCloseReportsMemoryRecords(t *testing.T) {
	o, log := open(t, Options{})
	put(t, o, "a")
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if drops := log.all(); len(drops) != 1 || !errors.Is(drops[0].err, ErrClosed) {
		t.Errorf("drops = %v, want a with ErrClosed", drops)
	}
	if _, err := o.Put(Record{Topic: "t", QoS: 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	if err := o.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestNilOnDropLogs(t *testing.T) {
	// Drops without OnDrop go to the logger instead of vanishing.
	var buf syncBuffer
	o, err := Open(Options{MaxMessages: 1, Logger: newTestLogger(&buf)})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	put(t, o, "a")
	put(t, o, "b")
	if got := buf.String(); !contains(got, "message dropped") || !contains(got, "seq=1") {
		t.Errorf("log = %q, want the drop of seq 1", got)
	}
}
