package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// dropLog records every OnDrop and OnDeadLetter call.
type dropLog struct {
	mu    sync.Mutex
	drops []dropped
	dead  []dropped
}

type dropped struct {
	rec Record
	err error
}

func (l *dropLog) onDrop(rec Record, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drops = append(l.drops, dropped{rec, err})
}

func (l *dropLog) onDead(rec Record, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dead = append(l.dead, dropped{rec, err})
}

func (l *dropLog) all() []dropped {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]dropped(nil), l.drops...)
}

func (l *dropLog) deadLetters() []dropped {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]dropped(nil), l.dead...)
}

// open opens an outbox wired to a new dropLog and closes it at cleanup.
func open(t testing.TB, opts Options) (*Outbox, *dropLog) {
	t.Helper()
	log := &dropLog{}
	opts.OnDrop = log.onDrop
	opts.OnDeadLetter = log.onDead
	o, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o, log
}

// put queues a QoS 1 record with payload p on topic "t" and returns its seq.
func put(t testing.TB, o *Outbox, p string) uint64 {
	t.Helper()
	seq, err := o.Put(Record{Topic: "t", Payload: []byte(p), QoS: 1})
	if err != nil {
		t.Fatalf("Put(%q): %v", p, err)
	}
	return seq
}

// snapshot returns copies of the queued records, oldest first.
func snapshot(o *Outbox) []Record {
	o.mu.Lock()
	defer o.mu.Unlock()
	recs := make([]Record, o.q.len())
	for i := range recs {
		recs[i] = o.q.at(i).rec
	}
	return recs
}

func payloads(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Payload)
	}
	return out
}

func seqs(recs []Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func equalStrings(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b) && len(a) == len(b)
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var errConnLost = errors.New("test: connection lost")

// recorder is a SendFunc that records what it sent; fail decides the
// result for each record.
type recorder struct {
	mu   sync.Mutex
	sent []Record
	fail func(Record) error
	// stopAfter cancels stop once this many records were acknowledged.
	stopAfter int
	acked     int
	stop      context.CancelFunc
}

func (r *recorder) send(ctx context.Context, rec Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, rec)
	var err error
	if r.fail != nil {
		err = r.fail(rec)
	}
	if err == nil {
		r.acked++
		if r.stop != nil && r.acked == r.stopAfter {
			r.stop()
		}
	}
	return err
}

func (r *recorder) sentPayloads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return payloads(r.sent)
}

// runUntil runs o until n records have been acknowledged by rec, or until
// send fails, with a deadline. It returns Run's error.
func runUntil(t *testing.T, o *Outbox, r *recorder, n int, pace Pace) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r.mu.Lock()
	r.stop, r.stopAfter, r.acked = cancel, n, 0
	r.mu.Unlock()
	err := o.Run(ctx, r.send, pace)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run did not finish in time")
	}
	return err
}
