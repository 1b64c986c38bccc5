package outbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestRunReplaysInOrderAfterReconnect(t *testing.T) {
	o, log := open(t, Options{})
	var want []string
	for i := range 10 {
		p := fmt.Sprint(i)
		put(t, o, p)
		want = append(want, p)
	}
	// First connection: acknowledges 4 records, then drops while sending the 5th.
	first := &recorder{fail: func(rec Record) error {
		if string(rec.Payload) == "4" {
			return errConnLost
		}
		return nil
	}}
	if err := runUntil(t, o, first, 0, Pace{}); !errors.Is(err, errConnLost) {
		t.Fatalf("Run = %v, want the send error", err)
	}
	o.ConnectionLost()
	if got := first.sentPayloads(); !equalStrings(got, want[:5]) {
		t.Errorf("first connection sent %v, want %v", got, want[:5])
	}
	if got := payloads(snapshot(o)); !equalStrings(got, want[4:]) {
		t.Errorf("queued after drop = %v, want %v", got, want[4:])
	}
	// Reconnect: the rest, from the failed record on, in order.
	second := &recorder{}
	_ = runUntil(t, o, second, 6, Pace{})
	if got := second.sentPayloads(); !equalStrings(got, want[4:]) {
		t.Errorf("second connection sent %v, want %v", got, want[4:])
	}
	if second.sent[0].Attempts != 1 {
		t.Errorf("replayed record Attempts = %d, want 1", second.sent[0].Attempts)
	}
	if o.Len() != 0 || len(log.all()) != 0 {
		t.Errorf("Len = %d, drops = %v; want all delivered", o.Len(), log.all())
	}
}

func TestRunWaitsForPut(t *testing.T) {
	o, _ := open(t, Options{})
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- runUntil(t, o, r, 2, Pace{}) }()
	time.Sleep(10 * time.Millisecond)
	put(t, o, "a")
	put(t, o, "b")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not send records put after it started")
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a", "b"}) {
		t.Errorf("sent = %v", got)
	}
}

func TestRunPacesMessages(t *testing.T) {
	o, _ := open(t, Options{})
	const n = 6
	for range n {
		put(t, o, "x")
	}
	// 50 records/s, burst 1: n records take at least (n-1)*20 ms.
	lim := rate.NewLimiter(50, 1)
	var times []time.Time
	r := &recorder{fail: func(Record) error { times = append(times, time.Now()); return nil }}
	start := time.Now()
	_ = runUntil(t, o, r, n, Pace{Messages: lim})
	elapsed := time.Since(start)
	if min := time.Duration(n-1) * 20 * time.Millisecond; elapsed < min-5*time.Millisecond {
		t.Errorf("%d records sent in %v, want at least %v", n, elapsed, min)
	}
	if elapsed > 5*time.Second {
		t.Errorf("pacing took %v", elapsed)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 15*time.Millisecond {
			t.Errorf("gap %d = %v, want about 20 ms", i, gap)
		}
	}
}

func TestRunPacesBytes(t *testing.T) {
	o, _ := open(t, Options{})
	// Each record weighs 1 + 99 = 100 bytes; 4000 bytes/s with a burst of
	// 100: 4 records take at least 3*25 ms. The 250-byte record is charged
	// in chunks of the burst instead of failing.
	for range 4 {
		put(t, o, string(make([]byte, 99)))
	}
	put(t, o, string(make([]byte, 249)))
	lim := rate.NewLimiter(4000, 100)
	r := &recorder{}
	start := time.Now()
	if err := runUntil(t, o, r, 5, Pace{Bytes: lim}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	elapsed := time.Since(start)
	// 650 bytes, 100 free: at least 550/4000 s = 137 ms.
	if elapsed < 130*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("650 bytes sent in %v, want about 137 ms", elapsed)
	}
	if len(r.sentPayloads()) != 5 {
		t.Errorf("sent %d records, want 5", len(r.sentPayloads()))
	}
}

func TestRunPaceHonoursContext(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "a")
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	lim.Allow() // empty the bucket
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := o.Run(ctx, func(context.Context, Record) error { t.Error("sent despite the limiter"); return nil }, Pace{Messages: lim})
	if err == nil {
		t.Fatal("Run = nil")
	}
	if o.Len() != 1 {
		t.Errorf("Len = %d, want the record kept", o.Len())
	}
}

// connectionDropsOn fails the send of payload p as a dropped connection.
func connectionDropsOn(p string) func(Record) error {
	return func(rec Record) error {
		if string(rec.Payload) == p {
			return errConnLost
		}
		return nil
	}
}

func TestQuarantineAfterThreeDrops(t *testing.T) {
	o, log := open(t, Options{})
	put(t, o, "poison")
	put(t, o, "good")
	for i := 1; i <= DefaultQuarantineAfter; i++ {
		r := &recorder{fail: connectionDropsOn("poison")}
		if err := runUntil(t, o, r, 0, Pace{}); !errors.Is(err, errConnLost) {
			t.Fatalf("connection %d: Run = %v", i, err)
		}
		if got := r.sentPayloads(); !equalStrings(got, []string{"poison"}) {
			t.Fatalf("connection %d sent %v, want [poison] first", i, got)
		}
		o.ConnectionLost()
		if i < DefaultQuarantineAfter && len(log.deadLetters()) != 0 {
			t.Fatalf("quarantined after %d drops", i)
		}
	}
	dead := log.deadLetters()
	if len(dead) != 1 || string(dead[0].rec.Payload) != "poison" {
		t.Fatalf("dead letters = %v, want poison", dead)
	}
	var dl *DeadLetterError
	if !errors.As(dead[0].err, &dl) || !errors.Is(dead[0].err, ErrQuarantined) || dl.Attempts != 3 {
		t.Errorf("dead letter reason = %v, want *DeadLetterError{Attempts: 3} matching ErrQuarantined", dead[0].err)
	}
	if drops := log.all(); len(drops) != 1 || drops[0].err != dead[0].err {
		t.Errorf("OnDrop = %v, want the same dead letter", drops)
	}
	// The next connection goes on with the rest.
	r := &recorder{}
	_ = runUntil(t, o, r, 1, Pace{})
	if got := r.sentPayloads(); !equalStrings(got, []string{"good"}) {
		t.Errorf("after quarantine sent %v, want [good]", got)
	}
}

func TestQuarantineCounterResetsAfterAck(t *testing.T) {
	o, log := open(t, Options{})
	put(t, o, "a")
	put(t, o, "b")
	drop := func(p string) {
		t.Helper()
		r := &recorder{fail: connectionDropsOn(p)}
		if err := runUntil(t, o, r, 0, Pace{}); !errors.Is(err, errConnLost) {
			t.Fatalf("Run = %v", err)
		}
		o.ConnectionLost()
	}
	// a: two drops, then acknowledged.
	drop("a")
	drop("a")
	r := &recorder{fail: connectionDropsOn("b")}
	if err := runUntil(t, o, r, 0, Pace{}); !errors.Is(err, errConnLost) {
		t.Fatalf("Run = %v", err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a", "b"}) {
		t.Fatalf("sent %v, want [a b]", got)
	}
	// A drop while nothing is in flight blames nobody.
	o.ConnectionLost() // blames b (in flight): 1
	o.ConnectionLost() // nothing in flight: no effect
	if got := snapshot(o)[0].Attempts; got != 1 {
		t.Fatalf("b Attempts = %d, want 1", got)
	}
	// b needs its own three drops: the count of a does not carry over.
	drop("b")
	if len(log.deadLetters()) != 0 {
		t.Fatal("b quarantined after 2 drops")
	}
	drop("b")
	if dead := log.deadLetters(); len(dead) != 1 || string(dead[0].rec.Payload) != "b" {
		t.Fatalf("dead letters = %v, want b after its third drop", dead)
	}
	if o.Len() != 0 {
		t.Errorf("Len = %d, want 0", o.Len())
	}
}

func TestQuarantineDecidedBySendInProgress(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sendErr  error
		wantDead bool
	}{
		{"acknowledged despite the drop", nil, false},
		{"failed", errConnLost, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, log := open(t, Options{QuarantineAfter: 1})
			put(t, o, "a")
			inSend := make(chan struct{})
			release := make(chan struct{})
			send := func(ctx context.Context, rec Record) error {
				close(inSend)
				<-release
				return tc.sendErr
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- o.Run(ctx, send, Pace{}) }()
			<-inSend
			o.ConnectionLost() // the connection drops while a's send waits for its PUBACK
			if len(log.deadLetters()) != 0 {
				t.Fatal("dead-lettered before the send returned")
			}
			close(release)
			if tc.sendErr == nil {
				for o.Len() > 0 {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}
			<-done
			if got := len(log.deadLetters()) == 1; got != tc.wantDead {
				t.Errorf("dead-lettered = %v, want %v", got, tc.wantDead)
			}
			if o.Len() != 0 {
				t.Errorf("Len = %d, want 0", o.Len())
			}
		})
	}
}

func TestQuarantineDisabled(t *testing.T) {
	o, log := open(t, Options{QuarantineAfter: -1})
	put(t, o, "a")
	for range 10 {
		r := &recorder{fail: connectionDropsOn("a")}
		_ = runUntil(t, o, r, 0, Pace{})
		o.ConnectionLost()
	}
	if o.Len() != 1 || len(log.all()) != 0 || snapshot(o)[0].Attempts != 10 {
		t.Errorf("Len = %d, drops = %v, attempts = %d; want kept with 10 attempts", o.Len(), log.all(), snapshot(o)[0].Attempts)
	}
}

type validationError struct{}

func (validationError) Error() string   { return "test: payload too large" }
func (validationError) Permanent() bool { return true }

var errTooBig = errors.New("test: too big")

func TestPermanentSendErrorDeadLettersAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		is   error
	}{
		{"Permanent wrapper", Permanent(errTooBig), errTooBig},
		{"Permanent method", fmt.Errorf("adapter: %w", validationError{}), validationError{}},
		{"ErrPermanent sentinel", fmt.Errorf("x: %w", ErrPermanent), ErrPermanent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, log := open(t, Options{})
			put(t, o, "bad")
			put(t, o, "good")
			r := &recorder{fail: func(rec Record) error {
				if string(rec.Payload) == "bad" {
					return tc.err
				}
				return nil
			}}
			_ = runUntil(t, o, r, 1, Pace{})
			if got := r.sentPayloads(); !equalStrings(got, []string{"bad", "good"}) {
				t.Errorf("sent %v, want [bad good]: one try, then on", got)
			}
			dead := log.deadLetters()
			if len(dead) != 1 || string(dead[0].rec.Payload) != "bad" || !errors.Is(dead[0].err, tc.is) {
				t.Fatalf("dead letters = %v, want bad matching %v", dead, tc.is)
			}
			var dl *DeadLetterError
			if !errors.As(dead[0].err, &dl) {
				t.Errorf("reason %T is not a *DeadLetterError", dead[0].err)
			}
			if len(log.all()) != 1 {
				t.Errorf("OnDrop calls = %d, want 1", len(log.all()))
			}
		})
	}
}

func TestIsPermanent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errConnLost, false},
		{context.Canceled, false},
		{Permanent(errConnLost), true},
		{fmt.Errorf("wrapped: %w", Permanent(errConnLost)), true},
		{validationError{}, true},
		{ErrPermanent, true},
	} {
		if got := IsPermanent(tc.err); got != tc.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if err := Permanent(errTooBig); !errors.Is(err, errTooBig) || !errors.Is(err, ErrPermanent) || err.Error() != errTooBig.Error() {
		t.Errorf("Permanent hides its cause: %v", err)
	}
}

func TestRunOnlyOnce(t *testing.T) {
	o, _ := open(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, func(context.Context, Record) error { return nil }, Pace{}) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		o.mu.Lock()
		running := o.running
		o.mu.Unlock()
		if running || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := o.Run(ctx, nil, Pace{}); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

func TestCloseStopsRun(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "a")
	inSend := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- o.Run(t.Context(), func(ctx context.Context, rec Record) error {
			close(inSend)
			<-ctx.Done() // a PUBACK that never comes
			return ctx.Err()
		}, Pace{})
	}()
	<-inSend
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	running := o.running
	o.mu.Unlock()
	if running {
		t.Error("Close returned before Run")
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Run = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := o.Run(t.Context(), nil, Pace{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	o, err := Open(Options{Dir: t.TempDir(), Sync: SyncInterval, SyncInterval: time.Millisecond, OnDrop: func(Record, error) {}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- o.Run(context.Background(), func(context.Context, Record) error { return nil }, Pace{})
	}()
	for i := range 20 {
		put(t, o, fmt.Sprint(i))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

func TestOpenRejectsInvalidPolicies(t *testing.T) {
	for _, opts := range []Options{{Full: 9}, {Sync: 9}, {QoS0: 9}} {
		if _, err := Open(opts); err == nil {
			t.Errorf("Open(%+v) = nil error", opts)
		}
	}
}
