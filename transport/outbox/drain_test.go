package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDrainSendsInOrderAndReturnsWhenEmpty(t *testing.T) {
	o, log := open(t, Options{})
	for _, p := range []string{"a", "b", "c"} {
		put(t, o, p)
	}
	r := &recorder{}
	if err := o.Drain(t.Context(), r.send, Pace{}, 0); err != nil {
		t.Fatalf("Drain = %v, want nil once empty", err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a", "b", "c"}) {
		t.Errorf("sent = %v, want [a b c]", got)
	}
	if o.Len() != 0 || len(log.all()) != 0 {
		t.Errorf("Len = %d, drops = %v; want all delivered", o.Len(), log.all())
	}
	if err := o.Drain(t.Context(), r.send, Pace{}, 0); err != nil {
		t.Fatalf("Drain of an empty outbox = %v, want nil", err)
	}
}

func TestDrainStopsAtAFailedSend(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "a")
	put(t, o, "b")
	r := &recorder{fail: func(rec Record) error {
		if string(rec.Payload) == "b" {
			return errConnLost
		}
		return nil
	}}
	if err := o.Drain(t.Context(), r.send, Pace{}, 0); !errors.Is(err, errConnLost) {
		t.Fatalf("Drain = %v, want the send error", err)
	}
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"b"}) {
		t.Errorf("queued = %v, want [b] kept for the next attempt", got)
	}
}

// Drain, unlike Run, does not make the outbox online: SetOnline does.
func TestSetOnlineDecidesQoS0WithDrain(t *testing.T) {
	o, log := open(t, Options{})
	qos0 := Record{Topic: "t", Payload: []byte("q0"), QoS: 0}
	if _, err := o.Put(qos0); !errors.Is(err, ErrOffline) {
		t.Fatalf("Put while offline = %v, want ErrOffline", err)
	}
	o.SetOnline(true)
	if _, err := o.Put(qos0); err != nil {
		t.Fatalf("Put while online = %v", err)
	}
	r := &recorder{}
	if err := o.Drain(t.Context(), r.send, Pace{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"q0"}) {
		t.Errorf("sent = %v, want [q0]", got)
	}
	o.SetOnline(false)
	if _, err := o.Put(qos0); !errors.Is(err, ErrOffline) {
		t.Fatalf("Put after SetOnline(false) = %v, want ErrOffline", err)
	}
	if n := len(log.all()); n != 2 {
		t.Errorf("%d drops reported, want the 2 offline QoS 0 records", n)
	}
}

func TestDrainExcludesRun(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "a")
	entered := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- o.Drain(t.Context(), func(ctx context.Context, rec Record) error {
			close(entered)
			<-release
			return nil
		}, Pace{}, 0)
	}()
	<-entered
	if err := o.Run(t.Context(), (&recorder{}).send, Pace{}); !errors.Is(err, ErrRunning) {
		t.Errorf("Run during Drain = %v, want ErrRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestDrainLingersForPut(t *testing.T) {
	o, _ := open(t, Options{})
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- o.Drain(t.Context(), r.send, Pace{}, time.Hour) }()
	put(t, o, "a")
	put(t, o, "b")
	deadline := time.After(5 * time.Second)
	for len(r.sentPayloads()) < 2 {
		select {
		case err := <-done:
			t.Fatalf("Drain returned %v while lingering", err)
		case <-deadline:
			t.Fatalf("sent %v, want [a b]", r.sentPayloads())
		case <-time.After(time.Millisecond):
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := o.Drain(ctx, r.send, Pace{}, time.Hour); !errors.Is(err, ErrRunning) {
		t.Errorf("second Drain = %v, want ErrRunning", err)
	}
	_ = o.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("lingering Drain after Close = %v, want ErrClosed", err)
	}
}

func TestDrainReturnsAfterLinger(t *testing.T) {
	o, _ := open(t, Options{})
	put(t, o, "a")
	r := &recorder{}
	start := time.Now()
	if err := o.Drain(t.Context(), r.send, Pace{}, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("Drain returned after %v, before its linger", took)
	}
	if got := r.sentPayloads(); !equalStrings(got, []string{"a"}) {
		t.Errorf("sent = %v, want [a]", got)
	}
}
