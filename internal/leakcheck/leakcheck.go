package leakcheck

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// DefaultTimeout is how long Check waits for goroutines to exit.
const DefaultTimeout = 2 * time.Second

// pollInterval is the sleep between goroutine dumps while waiting.
const pollInterval = 10 * time.Millisecond

// Snapshot is the set of goroutine IDs alive at one moment.
type Snapshot map[string]bool

// Take records the goroutines alive now.
func Take() Snapshot {
	s := Snapshot{}
	for _, g := range goroutines() {
		s[g.id] = true
	}
	return s
}

// Leaked waits up to timeout for the goroutines not in s (and not part of the runtime or the testing
// package) to exit. It returns the stacks of those still alive, or nil.
func (s Snapshot) Leaked(timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		var leaked []string
		for _, g := range goroutines() {
			if !s[g.id] && !isSystem(g.stack) {
				leaked = append(leaked, g.stack)
			}
		}
		if len(leaked) == 0 || !time.Now().Before(deadline) {
			return leaked
		}
		time.Sleep(pollInterval)
	}
}

// Check snapshots the goroutines now and registers a t.Cleanup that fails t if goroutines started
// after the snapshot are still alive DefaultTimeout after the test (and its later-registered
// cleanups) finished. Call it first in the test so that its cleanup runs last.
func Check(t testing.TB) {
	t.Helper()
	s := Take()
	t.Cleanup(func() {
		if leaked := s.Leaked(DefaultTimeout); len(leaked) > 0 {
			t.Errorf("leakcheck: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

type goroutine struct {
	id    string // "goroutine 42"
	stack string
}

func goroutines() []goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for _, block := range bytes.Split(buf, []byte("\n\n")) {
		stack := strings.TrimSpace(string(block))
		header, _, _ := strings.Cut(stack, "\n")
		// header: "goroutine 42 [chan receive, 1 minutes]:"
		id, _, ok := strings.Cut(header, " [")
		if !ok || !strings.HasPrefix(id, "goroutine ") {
			continue
		}
		out = append(out, goroutine{id: id, stack: stack})
	}
	return out
}

// systemMarkers identify goroutines owned by the test framework or the runtime: a goroutine whose
// stack has one of these at the start of a line is never reported.
var systemMarkers = []string{
	"\ntesting.tRunner(",                   // a test or subtest body
	"\ntesting.(*M).",                      // the test main
	"\ntesting.runTests",                   //
	"\ntesting.(*F).",                      // fuzzing
	"\ntesting.runFuzz",                    //
	"\ncreated by testing.(*M).startAlarm", // the -timeout alarm firing
	"\nruntime.ensureSigM",                 // os/signal machinery, started lazily
	"\nos/signal.signal_recv",              //
	"\nos/signal.loop",                     //
}

func isSystem(stack string) bool {
	for _, m := range systemMarkers {
		if strings.Contains(stack, m) {
			return true
		}
	}
	return false
}
