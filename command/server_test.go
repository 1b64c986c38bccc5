package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting returns a handler that counts its runs and answers {"n":run}.
func counting(runs *atomic.Int64) Handler {
	return HandlerFunc(func(ctx context.Context, req *Request) Response {
		return JSON(StatusOK, map[string]int64{"n": runs.Add(1)})
	})
}

func TestServeRunsHandler(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Payload: []byte(`{}`)})
	wantStatus(t, got, StatusOK)
	if string(got.Payload) != `{"n":1}` {
		t.Fatalf("payload = %s", got.Payload)
	}
}

func TestServeMalformed(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	for _, req := range []*Request{
		{Method: "", TID: "t"},
		{Method: "m", TID: ""},
		{Method: "m", TID: strings.Repeat("x", MaxIDLength+1)},
	} {
		got := s.Serve(t.Context(), req)
		wantStatus(t, got, StatusBadRequest)
		if !strings.Contains(string(got.Payload), "command: malformed request") {
			t.Errorf("payload = %s", got.Payload)
		}
	}
	// A transport maps the envelope decoder's typed error the same way.
	_, err := DecodeRequest([]byte(`{"tid":1}`), time.Now())
	wantStatus(t, ErrorResponse(err), StatusBadRequest)
	if runs.Load() != 0 {
		t.Fatalf("handler ran %d times for malformed requests", runs.Load())
	}
}

func TestServeUnknownMethod(t *testing.T) {
	r := NewRouter()
	r.HandleFunc("known", func(ctx context.Context, req *Request) Response { return Response{Status: StatusNoContent} })
	s := mustServer(t, r)
	got := s.Serve(t.Context(), &Request{Method: "unknown", TID: "t"})
	wantStatus(t, got, StatusNotFound)
	if string(got.Payload) != `{"error":"command: unknown method \"unknown\""}` {
		t.Fatalf("payload = %s", got.Payload)
	}
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "known", TID: "t2"}), StatusNoContent)
}

func TestServeDuplicateAnsweredFromCache(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	first := s.Serve(t.Context(), &Request{Method: "m", TID: "t1"})
	for i := 0; i < 3; i++ {
		dup := s.Serve(t.Context(), &Request{Method: "m", TID: "t1"})
		if dup.Status != first.Status || string(dup.Payload) != string(first.Payload) {
			t.Fatalf("duplicate answered %d %s, want %d %s", dup.Status, dup.Payload, first.Status, first.Payload)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", runs.Load())
	}
	// The same TID from another sender is another transaction.
	other := s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Sender: "app-2"})
	if string(other.Payload) != `{"n":2}` {
		t.Fatalf("other sender got %s, want a new run", other.Payload)
	}
}

func TestServeDuplicateWhileRunningWaits(t *testing.T) {
	var runs atomic.Int64
	started := make(chan struct{})
	release := make(chan struct{})
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return JSON(StatusOK, "done")
	}), WithMaxConcurrent(1)) // duplicates must not need a slot

	const dups = 64
	var answered atomic.Int64
	results := make(chan Response, dups+1)
	go func() { results <- s.Serve(t.Context(), &Request{Method: "m", TID: "t1"}); answered.Add(1) }()
	<-started
	var wg sync.WaitGroup
	for i := 0; i < dups; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- s.Serve(t.Context(), &Request{Method: "m", TID: "t1"})
			answered.Add(1)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d callers answered before the handler returned", n)
	}
	close(release)
	wg.Wait()
	for i := 0; i < dups+1; i++ {
		got := <-results
		if got.Status != StatusOK || string(got.Payload) != `"done"` {
			t.Fatalf("caller got %d %s", got.Status, got.Payload)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", runs.Load())
	}
}

func TestServeConcurrentFirstArrivalsRunOnce(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		time.Sleep(time.Millisecond)
		return JSON(StatusOK, req.TID)
	}), WithMaxConcurrent(64))
	const tids, copies = 16, 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	var bad atomic.Int64
	for i := 0; i < tids; i++ {
		for j := 0; j < copies; j++ {
			wg.Add(1)
			go func(tid string) {
				defer wg.Done()
				<-start
				got := s.Serve(context.Background(), &Request{Method: "m", TID: tid})
				if got.Status != StatusOK || string(got.Payload) != `"`+tid+`"` {
					bad.Add(1)
				}
			}(fmt.Sprint("t", i))
		}
	}
	close(start)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d callers got a wrong answer", bad.Load())
	}
	if runs.Load() != tids {
		t.Fatalf("handler ran %d times, want %d (once per TID)", runs.Load(), tids)
	}
}

func TestServeDuplicateWaitBoundedByItsDeadline(t *testing.T) {
	var runs atomic.Int64
	started := make(chan struct{})
	release := make(chan struct{})
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		close(started)
		<-release
		return JSON(StatusOK, "done")
	}))
	first := make(chan Response, 1)
	go func() { first <- s.Serve(context.Background(), &Request{Method: "m", TID: "t1"}) }()
	<-started
	dup := s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Deadline: time.Now().Add(20 * time.Millisecond)})
	wantStatus(t, dup, StatusGatewayTimeout)
	close(release)
	wantStatus(t, <-first, StatusOK)
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

func TestServeTIDReusedForAnotherMethod(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "a", TID: "t1"}), StatusOK)
	got := s.Serve(t.Context(), &Request{Method: "b", TID: "t1"})
	wantStatus(t, got, StatusConflict)
	if !strings.Contains(string(got.Payload), "transaction id reused") {
		t.Fatalf("payload = %s", got.Payload)
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

func TestServeNoDedupRunsEveryTime(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	for i := 0; i < 3; i++ {
		wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "1", NoDedup: true}), StatusOK)
	}
	if runs.Load() != 3 {
		t.Fatalf("handler ran %d times, want 3", runs.Load())
	}
	// And nothing was cached: a deduplicated request with that TID runs too.
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "1"}), StatusOK)
	if runs.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", runs.Load())
	}
}

func TestServePanicAnswers500AndKeepsRunning(t *testing.T) {
	log, logs := newTestLogger()
	var runs atomic.Int64
	r := NewRouter()
	r.HandleFunc("boom", func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		panic("secret-panic-value")
	})
	r.HandleFunc("exit", func(ctx context.Context, req *Request) Response {
		runtime.Goexit()
		return Response{}
	})
	r.HandleFunc("ok", func(ctx context.Context, req *Request) Response { return JSON(StatusOK, "fine") })
	s := mustServer(t, r, WithLogger(log))

	got := s.Serve(t.Context(), &Request{Method: "boom", TID: "t1"})
	wantStatus(t, got, StatusInternalServerError)
	if string(got.Payload) != `{"error":"command: handler panicked"}` {
		t.Fatalf("payload = %s (the panic value and stack must not reach the caller)", got.Payload)
	}
	if l := logs.String(); !strings.Contains(l, "secret-panic-value") || !strings.Contains(l, "goroutine") || !strings.Contains(l, "server_test.go") {
		t.Fatalf("log lacks the panic value or stack:\n%s", l)
	}
	// The panic's 500 is the transaction's outcome: a retry does not run it again.
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "boom", TID: "t1"}), StatusInternalServerError)
	if runs.Load() != 1 {
		t.Fatalf("panicking handler ran %d times, want 1", runs.Load())
	}
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "exit", TID: "t2"}), StatusInternalServerError)
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "ok", TID: "t3"}), StatusOK)
}

func TestServeDeadline504(t *testing.T) {
	log, logs := newTestLogger()
	ctxErr := make(chan error, 1)
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		<-ctx.Done()
		ctxErr <- ctx.Err()
		return JSON(StatusOK, "aborted cleanly")
	}), WithTimeout(20*time.Millisecond), WithLogger(log))
	start := time.Now()
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "t1"}) // no deadline: WithTimeout applies
	wantStatus(t, got, StatusGatewayTimeout)
	if string(got.Payload) != `{"error":"command: deadline exceeded"}` {
		t.Fatalf("payload = %s", got.Payload)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("answered after %v, before the deadline", el)
	}
	if err := <-ctxErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("handler ctx ended with %v, want DeadlineExceeded", err)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "handler returned after its context ended") {
		t.Fatalf("late handler not logged:\n%s", l)
	}
}

func TestServeDeadlineHandlerReturnsLate(t *testing.T) {
	var runs atomic.Int64
	release := make(chan struct{})
	returned := make(chan struct{})
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		defer close(returned)
		<-release // ignores ctx
		return JSON(StatusOK, "late but done")
	}), WithLogger(slog.New(slog.DiscardHandler)))
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Deadline: time.Now().Add(20 * time.Millisecond)})
	wantStatus(t, got, StatusGatewayTimeout)
	select {
	case <-returned:
		t.Fatal("Serve waited for the handler instead of answering 504 at the deadline")
	default:
	}
	close(release)
	<-returned
	// A retry learns what the handler really did, and it does not run again.
	var dup Response
	for i := 0; i < 100; i++ {
		if dup = s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Deadline: time.Now().Add(time.Second)}); dup.Status == StatusOK {
			break
		}
	}
	wantStatus(t, dup, StatusOK)
	if string(dup.Payload) != `"late but done"` || runs.Load() != 1 {
		t.Fatalf("retry got %s, runs %d", dup.Payload, runs.Load())
	}
}

func TestServeDeadlineAlreadyPast(t *testing.T) {
	clock := newFakeClock()
	var runs atomic.Int64
	s := mustServer(t, counting(&runs), WithClock(clock.Now))
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Deadline: clock.Now()})
	wantStatus(t, got, StatusGatewayTimeout)
	if runs.Load() != 0 {
		t.Fatal("handler ran past its deadline")
	}
	// Not cached: the retry with a fresh deadline runs.
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "t1", Deadline: clock.Now().Add(time.Second)}), StatusOK)
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", runs.Load())
	}
}

func TestServeCallerCancelled(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantStatus(t, s.Serve(ctx, &Request{Method: "m", TID: "t1"}), StatusServiceUnavailable)
	if runs.Load() != 0 {
		t.Fatal("handler ran for a cancelled caller")
	}
}

func TestServeConcurrencyLimit503(t *testing.T) {
	var runs atomic.Int64
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		if req.Method == "block" {
			started <- struct{}{}
			<-release
		}
		return JSON(StatusOK, req.TID)
	}), WithMaxConcurrent(2))
	var wg sync.WaitGroup
	for _, tid := range []string{"a", "b"} {
		wg.Add(1)
		go func() { defer wg.Done(); s.Serve(context.Background(), &Request{Method: "block", TID: tid}) }()
	}
	<-started
	<-started
	start := time.Now()
	got := s.Serve(t.Context(), &Request{Method: "quick", TID: "c"})
	wantStatus(t, got, StatusServiceUnavailable)
	if !strings.Contains(string(got.Payload), "too many commands in progress") {
		t.Fatalf("payload = %s", got.Payload)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("503 took %v: it must not queue", el)
	}
	close(release)
	wg.Wait()
	// Not cached: the retry with the same TID runs.
	got = s.Serve(t.Context(), &Request{Method: "quick", TID: "c"})
	wantStatus(t, got, StatusOK)
	if runs.Load() != 3 {
		t.Fatalf("handler ran %d times, want 3", runs.Load())
	}
}

func TestServeDefaultConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, DefaultMaxConcurrent)
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		started <- struct{}{}
		<-release
		return Response{}
	}))
	var wg sync.WaitGroup
	for i := 0; i < DefaultMaxConcurrent; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); s.Serve(context.Background(), &Request{Method: "m", TID: fmt.Sprint(i)}) }()
		<-started
	}
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "one-too-many"}), StatusServiceUnavailable)
	close(release)
	wg.Wait()
}

func TestServeOrdering409(t *testing.T) {
	var runs atomic.Int64
	state := `{"relay":"on"}`
	s := mustServer(t, counting(&runs), WithOrdering(func(ctx context.Context, req *Request) []byte {
		return []byte(state)
	}))
	serve := func(tid, sender string, seq uint64) Response {
		return s.Serve(t.Context(), &Request{Method: "relay.set", TID: tid, Sender: sender, Seq: seq})
	}
	wantStatus(t, serve("t5", "app", 5), StatusOK)

	stale := serve("t3", "app", 3)
	wantStatus(t, stale, StatusConflict)
	if string(stale.Payload) != state {
		t.Fatalf("409 payload = %s, want the current state", stale.Payload)
	}
	wantStatus(t, serve("t5b", "app", 5), StatusConflict) // equal is stale too

	// Dedup comes first: a redelivery of seq 5 gets its cached answer, not a 409.
	if dup := serve("t5", "app", 5); dup.Status != StatusOK || string(dup.Payload) != `{"n":1}` {
		t.Fatalf("redelivery got %d %s", dup.Status, dup.Payload)
	}
	// A 409 is not cached: a retry sees the state as it is now.
	state = `{"relay":"off"}`
	if again := serve("t3", "app", 3); again.Status != StatusConflict || string(again.Payload) != state {
		t.Fatalf("stale retry got %d %s", again.Status, again.Payload)
	}

	wantStatus(t, serve("t6", "app", 6), StatusOK)
	wantStatus(t, serve("o1", "other-app", 1), StatusOK) // per sender
	wantStatus(t, serve("u1", "app", 0), StatusOK)       // no seq: not ordered
	if runs.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", runs.Load())
	}
}

func TestServeOrderingWithoutStateFunc(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs), WithOrdering(nil))
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "a", Seq: 2}), StatusOK)
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "b", Seq: 1})
	wantStatus(t, got, StatusConflict)
	if !strings.Contains(string(got.Payload), "stale sequence number 1") {
		t.Fatalf("payload = %s", got.Payload)
	}
}

func TestServeOrderingRefusedCommandDoesNotAdvance(t *testing.T) {
	var runs atomic.Int64
	started := make(chan struct{})
	release := make(chan struct{})
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		runs.Add(1)
		if req.TID == "block" {
			close(started)
			<-release
		}
		return Response{Status: StatusNoContent}
	}), WithOrdering(nil), WithMaxConcurrent(1))
	done := make(chan struct{})
	go func() { s.Serve(context.Background(), &Request{Method: "m", TID: "block"}); close(done) }()
	<-started
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "s10", Seq: 10}), StatusServiceUnavailable)
	close(release)
	<-done
	// seq 10 was refused, not applied: its retry is not stale.
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "m", TID: "s10", Seq: 10}), StatusNoContent)
	if n := runs.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2 (the blocker and the retry of seq 10)", n)
	}
}

func TestServeOrderingSenderBound(t *testing.T) {
	clock := newFakeClock()
	s := mustServer(t, counting(new(atomic.Int64)), WithOrdering(nil), WithMaxSenders(2), WithClock(clock.Now))
	serve := func(tid, sender string, seq uint64) Response {
		clock.Advance(time.Second)
		return s.Serve(t.Context(), &Request{Method: "m", TID: tid, Sender: sender, Seq: seq})
	}
	wantStatus(t, serve("a5", "a", 5), StatusOK)
	wantStatus(t, serve("b5", "b", 5), StatusOK)
	wantStatus(t, serve("c5", "c", 5), StatusOK) // forgets "a", the least recently seen
	wantStatus(t, serve("a1", "a", 1), StatusOK) // so a's old seq is not known anymore
	wantStatus(t, serve("c4", "c", 4), StatusConflict)
}

func TestServeHandlerContractViolations(t *testing.T) {
	log, logs := newTestLogger()
	r := NewRouter()
	r.HandleFunc("zero", func(ctx context.Context, req *Request) Response { return Response{Payload: []byte(`1`)} })
	r.HandleFunc("status", func(ctx context.Context, req *Request) Response { return Response{Status: 42} })
	r.HandleFunc("notjson", func(ctx context.Context, req *Request) Response {
		return Response{Status: 200, Payload: []byte("plain text")}
	})
	s := mustServer(t, r, WithLogger(log))
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "zero", TID: "1"}), StatusOK)
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "status", TID: "2"}), StatusInternalServerError)
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "notjson", TID: "3"}), StatusInternalServerError)
	if l := logs.String(); !strings.Contains(l, "invalid status") || !strings.Contains(l, "not JSON") {
		t.Fatalf("violations not logged:\n%s", l)
	}
}

func TestServeHandlerGetsRequestCopy(t *testing.T) {
	got := make(chan Request, 1)
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		got <- *req
		return Response{}
	}))
	dl := time.Now().Add(time.Minute)
	req := &Request{Method: "m", TID: "t", Sender: "app", Seq: 3, Payload: []byte(`{"a":1}`), Deadline: dl}
	s.Serve(t.Context(), req)
	h := <-got
	if !requestsEqual(&h, req) {
		t.Fatalf("handler saw %+v, want %+v", h, *req)
	}
	// Without a deadline the handler sees the effective one.
	clock := newFakeClock()
	s = mustServer(t, s.handler, WithClock(clock.Now), WithTimeout(7*time.Second))
	s.Serve(t.Context(), &Request{Method: "m", TID: "t"})
	if h := <-got; !h.Deadline.Equal(clock.Now().Add(7 * time.Second)) {
		t.Fatalf("handler saw deadline %v, want now+7s", h.Deadline)
	}
}

func TestShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	s := mustServer(t, HandlerFunc(func(ctx context.Context, req *Request) Response {
		close(started)
		<-release
		finished.Store(true)
		return Response{}
	}))
	go s.Serve(context.Background(), &Request{Method: "m", TID: "t1"})
	<-started

	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a running handler = %v, want DeadlineExceeded", err)
	}
	got := s.Serve(t.Context(), &Request{Method: "m", TID: "t2"})
	wantStatus(t, got, StatusServiceUnavailable)
	if !strings.Contains(string(got.Payload), "server closed") {
		t.Fatalf("payload = %s", got.Payload)
	}
	close(release)
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if !finished.Load() {
		t.Fatal("Shutdown returned before the handler did")
	}
}

func TestNewServerNilHandler(t *testing.T) {
	if _, err := NewServer(nil); err == nil || !strings.HasPrefix(err.Error(), "command: ") {
		t.Fatalf("NewServer(nil) = %v", err)
	}
}

func TestServeDuplicateHitAllocs(t *testing.T) {
	s := mustServer(t, counting(new(atomic.Int64)))
	req := &Request{Method: "m", TID: "t1", Sender: "app"}
	s.Serve(context.Background(), req)
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() { s.Serve(ctx, req) }); n != 0 {
		t.Fatalf("a duplicate costs %v allocations, want 0", n)
	}
}

func BenchmarkServeDuplicate(b *testing.B) {
	s := mustServer(b, counting(new(atomic.Int64)))
	req := &Request{Method: "sensor.list", TID: "0f8fad5b-d9cb-469f-a165-70867728950e", Sender: "app-1"}
	ctx := context.Background()
	s.Serve(ctx, req)
	b.ReportAllocs()
	for b.Loop() {
		if s.Serve(ctx, req).Status != StatusOK {
			b.Fatal("not served from cache")
		}
	}
}

func BenchmarkServeNew(b *testing.B) {
	s := mustServer(b, HandlerFunc(func(ctx context.Context, req *Request) Response { return Response{Status: StatusNoContent} }))
	tids := make([]string, 4*DefaultDedupSize)
	for i := range tids {
		tids[i] = fmt.Sprint("tid-", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if s.Serve(ctx, &Request{Method: "m", TID: tids[i%len(tids)]}).Status != StatusNoContent {
			b.Fatal("not run")
		}
		i++
	}
}
