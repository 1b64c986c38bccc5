package leakcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func leakyWorker(stop <-chan struct{}) { <-stop }

func TestLeakedReportsRunningGoroutine(t *testing.T) {
	s := Take()
	stop := make(chan struct{})
	go leakyWorker(stop)
	leaked := s.Leaked(50 * time.Millisecond)
	close(stop)
	if len(leaked) != 1 || !strings.Contains(leaked[0], "leakyWorker") {
		t.Fatalf("Leaked = %q, want one stack with leakyWorker", leaked)
	}
	if leaked := s.Leaked(DefaultTimeout); leaked != nil {
		t.Fatalf("after stop: Leaked = %q, want none", leaked)
	}
}

func TestLeakedWaitsForSlowExit(t *testing.T) {
	s := Take()
	go time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if leaked := s.Leaked(DefaultTimeout); leaked != nil {
		t.Fatalf("Leaked = %q, want none", leaked)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("Leaked returned after %v, before the goroutine could exit", d)
	}
}

func TestLeakedIgnoresPreexistingAndSubtests(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go leakyWorker(stop) // started before the snapshot: not a leak
	s := Take()
	t.Run("sub", func(t *testing.T) {})
	if leaked := s.Leaked(10 * time.Millisecond); leaked != nil {
		t.Fatalf("Leaked = %q, want none", leaked)
	}
}

// recorder captures what Check reports.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestCheckFailsOnLeak(t *testing.T) {
	r := &recorder{TB: t}
	Check(r)
	stop := make(chan struct{})
	go leakyWorker(stop)
	r.cleanups[0]() // waits DefaultTimeout
	close(stop)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "1 goroutine(s) leaked") || !strings.Contains(r.errors[0], "leakyWorker") {
		t.Fatalf("errors = %q", r.errors)
	}
}

func TestCheckPassesWithoutLeak(t *testing.T) {
	r := &recorder{TB: t}
	Check(r)
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	r.cleanups[0]()
	if len(r.errors) != 0 {
		t.Fatalf("errors = %q", r.errors)
	}
}
