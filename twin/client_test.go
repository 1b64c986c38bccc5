package twin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/twin"
)

func TestNewNilTransport(t *testing.T) {
	if _, err := twin.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	leakcheck.Check(t)
	svc := twinsvc.New()
	ft := newFakeTransport(t, svc, device)
	blocked := make(chan struct{})
	c, err := twin.New(ft,
		twin.WithRetryBackoff(time.Millisecond, time.Millisecond),
		twin.WithDesiredHandler(func(ctx context.Context, p twin.DesiredPatch) {
			close(blocked)
			<-ctx.Done() // a handler that runs until Close
		}))
	if err != nil {
		t.Fatal(err)
	}
	<-blocked
	// A request in progress is woken by Close.
	svc.FailNext(device, 0, 1_000_000)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, twin.ErrClosed) {
			t.Fatalf("Get during Close: %v, want ErrClosed", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Get not woken by Close")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Get(t.Context()); !errors.Is(err, twin.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := c.UpdateReported(t.Context(), map[string]any{"a": 1}); !errors.Is(err, twin.ErrClosed) {
		t.Fatalf("UpdateReported after Close: %v", err)
	}
	// Messages still arriving on the subscriptions are dropped.
	ft.reconnect()
	ft.updateDesired(t, map[string]any{"a": 1})
}

// The background sync retries while the transport is not connected yet,
// and catches up when it connects.
func TestNewBeforeConnect(t *testing.T) {
	e := newEnv(t)
	e.ft.set(func(f *fakeTransport) { f.connected = false })
	e.ft.updateDesired(t, map[string]any{"a": 1})
	e.start(twin.WithRetryBackoff(time.Hour, time.Hour))
	e.rec.none(t, quiet)
	if err := e.ft.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantPatch(t, e.rec.next(t), 2, `{"a":1}`, `{"a":1}`, true)
}

func TestSyncer(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"target": 21.5, "mode": "heat"})
	c := e.start(twin.WithDesiredHandler(nil))
	var s state.Syncer = c

	got := make(chan state.Desired, 10)
	s.OnDesired(func(ctx context.Context, d state.Desired) { got <- d })

	d, err := s.Desired(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 2 || js(d.State) != `{"mode":"heat","target":21.5}` || d.Changed != nil {
		t.Fatalf("Desired = %+v", d)
	}
	next := func() state.Desired {
		select {
		case d := <-got:
			return d
		case <-time.After(waitFor):
			t.Fatal("no OnDesired call")
			return state.Desired{}
		}
	}
	first := next()
	if first.Version != 2 || js(first.State) != `{"mode":"heat","target":21.5}` || js(first.Changed) != js(first.State) {
		t.Fatalf("first OnDesired = %+v", first)
	}
	e.ft.updateDesired(t, map[string]any{"mode": nil})
	if d := next(); d.Version != 3 || js(d.State) != `{"target":21.5}` || js(d.Changed) != `{"mode":null}` {
		t.Fatalf("OnDesired = %+v", d)
	}

	if err := s.Report(t.Context(), map[string]any{"temp": 20.9}); err != nil {
		t.Fatal(err)
	}
	tw, _ := e.svc.Twin(device)
	if js(tw.Reported.Values) != `{"temp":20.9}` {
		t.Fatalf("reported = %s", js(tw.Reported.Values))
	}
	if err := s.Report(t.Context(), map[string]any{"bad key": 1}); !errors.Is(err, twin.ErrInvalidKey) {
		t.Fatalf("Report with an invalid key: %v", err)
	}

	s.OnDesired(nil)
	e.ft.updateDesired(t, map[string]any{"x": 1})
	select {
	case d := <-got:
		t.Fatalf("OnDesired called after nil: %+v", d)
	case <-time.After(quiet):
	}
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		err       *twin.Error
		throttled bool
		bad       bool
		retryable bool
		text      string
	}{
		{&twin.Error{Op: "GET", Status: 429, RequestID: "r1"}, true, false, true, "twin: GET ($rid r1) failed with status 429 (retryable)"},
		{&twin.Error{Op: "PATCH reported", Status: 400, RequestID: "r2"}, false, true, false, "twin: PATCH reported ($rid r2) failed with status 400"},
		{&twin.Error{Op: "GET", Status: 503, RequestID: "r3"}, false, false, true, "twin: GET ($rid r3) failed with status 503 (retryable)"},
		{&twin.Error{Op: "GET", Status: 404, RequestID: "r4"}, false, false, false, "twin: GET ($rid r4) failed with status 404"},
	}
	for _, tt := range tests {
		if errors.Is(tt.err, twin.ErrThrottled) != tt.throttled || errors.Is(tt.err, twin.ErrBadRequest) != tt.bad ||
			tt.err.Retryable() != tt.retryable || tt.err.Error() != tt.text {
			t.Errorf("%v: throttled %v bad %v retryable %v", tt.err, errors.Is(tt.err, twin.ErrThrottled),
				errors.Is(tt.err, twin.ErrBadRequest), tt.err.Retryable())
		}
	}
}
