package twin_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/twin"
)

const (
	device  = "dev1"
	waitFor = 5 * time.Second
)

// env is a test's hub (service), fake transport and desired-patch recorder.
type env struct {
	t   *testing.T
	svc *twinsvc.Service
	ft  *fakeTransport
	rec *recorder
}

// newEnv checks for goroutine leaks (cleanups run in reverse: the client
// closes, then the fake, then the check).
func newEnv(t *testing.T) *env {
	leakcheck.Check(t)
	svc := twinsvc.New()
	return &env{t: t, svc: svc, ft: newFakeTransport(t, svc, device), rec: newRecorder()}
}

// start creates the client with fast retries and the recorder as handler.
func (e *env) start(opts ...twin.Option) *twin.Client {
	e.t.Helper()
	all := append([]twin.Option{
		twin.WithDesiredHandler(e.rec.handle),
		twin.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
		twin.WithRequestTimeout(2 * time.Second),
	}, opts...)
	c, err := twin.New(e.ft, all...)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// startSynced starts the client and waits for its initial desired state.
func (e *env) startSynced(opts ...twin.Option) (*twin.Client, twin.DesiredPatch) {
	e.t.Helper()
	c := e.start(opts...)
	p := e.rec.next(e.t)
	if !p.Resynced {
		e.t.Fatalf("first delivery is not the initial state: %+v", p)
	}
	return c, p
}

// recorder collects desired patches.
type recorder struct {
	ch chan twin.DesiredPatch
}

func newRecorder() *recorder { return &recorder{ch: make(chan twin.DesiredPatch, 1000)} }

func (r *recorder) handle(_ context.Context, p twin.DesiredPatch) { r.ch <- p }

func (r *recorder) next(t testing.TB) twin.DesiredPatch {
	t.Helper()
	select {
	case p := <-r.ch:
		return p
	case <-time.After(waitFor):
		t.Fatal("no desired patch delivered")
		return twin.DesiredPatch{}
	}
}

// none asserts that nothing is delivered for d.
func (r *recorder) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case p := <-r.ch:
		t.Fatalf("unexpected delivery: version %d patch %s resynced %v", p.Version, js(p.Patch), p.Resynced)
	case <-time.After(d):
	}
}

// js encodes v as canonical JSON (sorted keys) for comparisons.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

// wantPatch checks a delivery.
func wantPatch(t testing.TB, p twin.DesiredPatch, version int64, patch, desired string, resynced bool) {
	t.Helper()
	if p.Version != version || js(p.Patch) != patch || js(p.Desired) != desired || p.Resynced != resynced {
		t.Fatalf("delivery = version %d patch %s desired %s resynced %v\nwant       version %d patch %s desired %s resynced %v",
			p.Version, js(p.Patch), js(p.Desired), p.Resynced, version, patch, desired, resynced)
	}
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
