package shadow_test

import (
	"context"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/shadow"
)

const (
	thing   = "gw-1"
	classic = "$aws/things/gw-1/shadow"
	named   = "$aws/things/gw-1/shadow/name/cfg"
	waitFor = 5 * time.Second
)

// harness is a service, a fake transport to it, and deltas recorded from
// the client under test. Each test gets its own, with a leak check that
// runs after everything is closed.
type harness struct {
	t      *testing.T
	svc    *shadowsvc.Service
	ft     *fakeTransport
	deltas chan shadow.Delta
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	leakcheck.Check(t)
	svc := shadowsvc.New(shadowsvc.Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	ft := newFakeTransport(thing, svc)
	t.Cleanup(func() { _ = ft.Close(context.Background()) })
	return &harness{t: t, svc: svc, ft: ft, deltas: make(chan shadow.Delta, 100)}
}

// start creates a client that records its deltas; Close runs at cleanup.
func (h *harness) start(opts ...shadow.Option) *shadow.Client {
	h.t.Helper()
	opts = append([]shadow.Option{shadow.WithDeltaHandler(h.recordDelta)}, opts...)
	c, err := shadow.New(h.ctx(), h.ft, opts...)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	})
	return c
}

func (h *harness) recordDelta(_ context.Context, d shadow.Delta) { h.deltas <- d }

// ctx is a test-bounded context.
func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	h.t.Cleanup(cancel)
	return ctx
}

// nextDelta waits for the next delta delivered to the handler.
func (h *harness) nextDelta() shadow.Delta {
	h.t.Helper()
	select {
	case d := <-h.deltas:
		return d
	case <-time.After(waitFor):
		h.t.Fatal("no delta delivered")
		return shadow.Delta{}
	}
}

// noDelta checks that no delta is delivered for a while.
func (h *harness) noDelta(d time.Duration) {
	h.t.Helper()
	select {
	case got := <-h.deltas:
		h.t.Fatalf("unexpected delta: version %d %v", got.Version, got.State)
	case <-time.After(d):
	}
}

// setDesired changes desired from the cloud side and delivers the
// publishes if the device is connected.
func (h *harness) setDesired(desired map[string]any) {
	h.t.Helper()
	if err := h.ft.cloud(h.svc.SetDesired(thing, "", desired)); err != nil {
		h.t.Fatal(err)
	}
}

// eventually polls cond until it holds or the test times out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// docVersion is the version of the client's document, -1 without one.
func docVersion(c *shadow.Client) int64 {
	d, ok := c.Document()
	if !ok {
		return -1
	}
	return d.Version
}

// num compares a decoded JSON number with an int.
func num(v any) string {
	if n, ok := v.(interface{ String() string }); ok {
		return n.String()
	}
	return "?"
}
