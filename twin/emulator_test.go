package twin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/twin"
)

// These tests run the client against the Azure IoT Hub emulator: real TLS,
// MQTT, the azureiot adapter and the emulator's twin service.

// emuHub is an emulated hub, the device's connection to it and the
// recorder of its desired patches.
type emuHub struct {
	t    *testing.T
	h    *azureiottest.Hub
	conn *transport.Conn
	rec  *recorder
}

// newEmuHub starts a hub and connects device to it, reconnecting fast.
// Everything is closed when the test ends, then checked for leaks.
func newEmuHub(t *testing.T) *emuHub {
	t.Helper()
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice(device)
	cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &emuHub{t: t, h: h, conn: conn, rec: newRecorder()}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	// The transport reports the connection on its event goroutine, maybe
	// after Connect returns: wait for it, so that a client created next
	// does not take it for a reconnect (and GET once more, using up
	// injected failures).
	connected := make(chan struct{})
	var once sync.Once
	stop := conn.Watch(func(ev transport.Event) {
		if ev.Kind == transport.EventConnected {
			once.Do(func() { close(connected) })
		}
	})
	defer stop()
	if err := conn.Connect(e.ctx()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(waitFor):
		t.Fatal("no connected event")
	}
	return e
}

func (e *emuHub) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	e.t.Cleanup(cancel)
	return ctx
}

// client starts a twin client with fast retries and the recorder as
// handler, and waits for its initial desired state.
func (e *emuHub) client(opts ...twin.Option) (*twin.Client, twin.DesiredPatch) {
	e.t.Helper()
	all := append([]twin.Option{
		twin.WithDesiredHandler(e.rec.handle),
		twin.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
		twin.WithRequestTimeout(2 * time.Second),
	}, opts...)
	c, err := twin.New(e.conn, all...)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	p := e.rec.next(e.t)
	if !p.Resynced {
		e.t.Fatalf("first delivery is not the initial state: %+v", p)
	}
	return c, p
}

func (e *emuHub) updateDesired(patch map[string]any) int64 {
	e.t.Helper()
	v, err := e.h.UpdateDesired(device, patch)
	if err != nil {
		e.t.Fatalf("UpdateDesired: %v", err)
	}
	return v
}

// published counts the device's publishes whose topic starts with prefix.
func (e *emuHub) published(prefix string) int {
	n := 0
	for _, m := range e.h.Broker().Received(device) {
		if strings.HasPrefix(m.Topic, prefix) {
			n++
		}
	}
	return n
}

const reportedPrefix = "$iothub/twin/PATCH/properties/reported/"

func TestEmulatorGet(t *testing.T) {
	e := newEmuHub(t)
	e.updateDesired(map[string]any{"interval": 30, "mode": "eco"})
	c, initial := e.client()
	wantPatch(t, initial, 2, `{"interval":30,"mode":"eco"}`, `{"interval":30,"mode":"eco"}`, true)

	tw, err := c.Get(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if tw.Desired.Version != 2 || js(tw.Desired.Values) != `{"interval":30,"mode":"eco"}` ||
		tw.Reported.Version != 1 || js(tw.Reported.Values) != `{}` {
		t.Fatalf("Get = %+v", tw)
	}
	// The same state: nothing new for the handler.
	e.rec.none(t, 20*time.Millisecond)
}

func TestEmulatorUpdateReported(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client()
	ctx := e.ctx()
	v, err := c.UpdateReported(ctx, map[string]any{"temperature": 21.5, "fw": map[string]any{"version": "1.0"}})
	if err != nil || v != 2 {
		t.Fatalf("UpdateReported = %d, %v; want version 2", v, err)
	}
	v, err = c.UpdateReported(ctx, map[string]any{"temperature": 22, "fw": map[string]any{"build": 7}})
	if err != nil || v != 3 {
		t.Fatalf("UpdateReported = %d, %v; want version 3", v, err)
	}
	tw, _ := e.h.Twin(device)
	if tw.Reported.Version != 3 || js(tw.Reported.Values) != `{"fw":{"build":7,"version":"1.0"},"temperature":22}` {
		t.Fatalf("the hub stores reported %+v", tw.Reported)
	}
	got, err := c.Get(ctx)
	if err != nil || got.Reported.Version != 3 || js(got.Reported.Values) != js(tw.Reported.Values) {
		t.Fatalf("Get = %+v, %v", got.Reported, err)
	}
}

func TestEmulatorDesiredPatchOnline(t *testing.T) {
	e := newEmuHub(t)
	e.updateDesired(map[string]any{"setpoint": 20, "mode": "eco"})
	e.client()
	if v := e.updateDesired(map[string]any{"setpoint": 22.5}); v != 3 {
		t.Fatalf("desired version %d", v)
	}
	wantPatch(t, e.rec.next(t), 3, `{"setpoint":22.5}`, `{"mode":"eco","setpoint":22.5}`, false)
	e.updateDesired(map[string]any{"mode": nil})
	wantPatch(t, e.rec.next(t), 4, `{"mode":null}`, `{"setpoint":22.5}`, false)
}

func TestEmulatorDesiredWhileOffline(t *testing.T) {
	e := newEmuHub(t)
	e.updateDesired(map[string]any{"setpoint": 20, "mode": "eco"})
	e.client()
	gets := e.published("$iothub/twin/GET/")

	// Cut the connection and keep the device away while the cloud changes
	// its desired properties twice.
	b := e.h.Broker()
	b.RefuseConnect(3, -1)
	if !b.Disconnect(device) {
		t.Fatal("the device was not connected")
	}
	e.updateDesired(map[string]any{"setpoint": 23})
	e.updateDesired(map[string]any{"mode": nil, "fan": "auto"})
	e.rec.none(t, 50*time.Millisecond)

	b.RefuseConnect(0, 0)
	// One patch: the difference between what the device had applied
	// (version 2) and the twin it reads after reconnecting (version 4).
	wantPatch(t, e.rec.next(t), 4, `{"fan":"auto","mode":null,"setpoint":23}`, `{"fan":"auto","setpoint":23}`, true)
	if got := e.published("$iothub/twin/GET/"); got <= gets {
		t.Fatalf("no GET after reconnecting (%d before, %d after)", gets, got)
	}
	// Notifications flow again on the new connection.
	e.updateDesired(map[string]any{"setpoint": 24})
	wantPatch(t, e.rec.next(t), 5, `{"setpoint":24}`, `{"fan":"auto","setpoint":24}`, false)
}

func TestEmulatorStalePatchIgnored(t *testing.T) {
	e := newEmuHub(t)
	e.client()
	e.updateDesired(map[string]any{"setpoint": 21})
	wantPatch(t, e.rec.next(t), 2, `{"setpoint":21}`, `{"setpoint":21}`, false)

	// A late or repeated notification at or below the applied version, as
	// the hub may send around a reconnect.
	for _, topic := range []string{
		"$iothub/twin/PATCH/properties/desired/?$version=2",
		"$iothub/twin/PATCH/properties/desired/?$version=1",
	} {
		if err := e.h.Deliver(device, topic, []byte(`{"setpoint":99,"$version":2}`), 0); err != nil {
			t.Fatal(err)
		}
	}
	e.rec.none(t, 50*time.Millisecond)
	// The next real change is applied on top of version 2, not of the
	// stale content.
	e.updateDesired(map[string]any{"mode": "eco"})
	wantPatch(t, e.rec.next(t), 3, `{"mode":"eco"}`, `{"mode":"eco","setpoint":21}`, false)
}

func TestEmulatorThrottledThenSuccess(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client()
	before := e.published(reportedPrefix)
	e.h.FailTwinRequests(device, 429, 2)
	e.h.FailTwinRequests(device, 503, 1)
	v, err := c.UpdateReported(e.ctx(), map[string]any{"temperature": 21.5})
	if err != nil || v != 2 {
		t.Fatalf("UpdateReported = %d, %v; want version 2 after the retries", v, err)
	}
	if n := e.published(reportedPrefix) - before; n != 4 {
		t.Errorf("%d reported patches sent, want 4 (two 429, one 503, one accepted)", n)
	}
	if tw, _ := e.h.Twin(device); tw.Reported.Version != 2 || js(tw.Reported.Values) != `{"temperature":21.5}` {
		t.Errorf("the hub stores reported %+v", tw.Reported)
	}
}

func TestEmulatorThrottledUntilDeadline(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client()
	e.h.FailTwinRequests(device, 429, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.UpdateReported(ctx, map[string]any{"temperature": 21.5})
	var te *twin.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, twin.ErrThrottled) || !errors.As(err, &te) || te.Status != 429 {
		t.Fatalf("UpdateReported = %v; want the deadline and the last 429", err)
	}
}

// The hub refuses a patch the client could not know to be invalid: another
// writer filled the reported properties behind its back, so the merged
// properties exceed 32 KiB. 400 is not retried.
func TestEmulatorBadRequestFromTheHub(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client() // knows the reported properties: empty
	big := func(prefix string) map[string]any {
		m := map[string]any{}
		for i := range 5 {
			m[prefix+string(rune('a'+i))] = strings.Repeat("x", 4000)
		}
		return m
	}
	other, err := json.Marshal(big("other"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.conn.PublishRaw(e.ctx(), reportedPrefix+"?$rid=other-writer", other, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other writer's patch", func() bool {
		tw, _ := e.h.Twin(device)
		return tw.Reported.Version == 2
	})
	before := e.published(reportedPrefix)

	_, err = c.UpdateReported(e.ctx(), big("mine"))
	var te *twin.Error
	if !errors.Is(err, twin.ErrBadRequest) || !errors.As(err, &te) || te.Status != 400 || te.Op != "PATCH reported" {
		t.Fatalf("UpdateReported = %v; want a 400 *twin.Error", err)
	}
	if errors.Is(err, twin.ErrInvalidPatch) {
		t.Errorf("the hub's refusal is reported as a local one: %v", err)
	}
	if n := e.published(reportedPrefix) - before; n != 1 {
		t.Errorf("%d patches sent, want 1 (400 is not retried)", n)
	}
	if tw, _ := e.h.Twin(device); tw.Reported.Version != 2 {
		t.Errorf("the refused patch changed the twin: version %d", tw.Reported.Version)
	}
}

func TestEmulatorBadRequestInjected(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client()
	before := e.published(reportedPrefix)
	e.h.FailTwinRequests(device, 400, 1)
	_, err := c.UpdateReported(e.ctx(), map[string]any{"temperature": 21.5})
	if !errors.Is(err, twin.ErrBadRequest) {
		t.Fatalf("UpdateReported = %v; want ErrBadRequest", err)
	}
	if n := e.published(reportedPrefix) - before; n != 1 {
		t.Errorf("%d patches sent, want 1", n)
	}
	// The next one goes through.
	if v, err := c.UpdateReported(e.ctx(), map[string]any{"temperature": 21.5}); err != nil || v != 2 {
		t.Fatalf("UpdateReported = %d, %v", v, err)
	}
}

// The client survives a lost response: the attempt times out and is sent
// again.
func TestEmulatorLostResponse(t *testing.T) {
	e := newEmuHub(t)
	c, _ := e.client(twin.WithRequestTimeout(50 * time.Millisecond))
	e.h.FailTwinRequests(device, 0, 1)
	tw, err := c.Get(e.ctx())
	if err != nil || tw.Desired.Version != 1 {
		t.Fatalf("Get = %+v, %v", tw, err)
	}
}

func TestEmulatorClose(t *testing.T) {
	e := newEmuHub(t) // checks that no goroutine outlives the test
	c, _ := e.client()
	if _, err := c.UpdateReported(e.ctx(), map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.UpdateReported(e.ctx(), map[string]any{"a": 2}); !errors.Is(err, twin.ErrClosed) {
		t.Fatalf("UpdateReported after Close = %v; want ErrClosed", err)
	}
	if _, err := c.Get(e.ctx()); !errors.Is(err, twin.ErrClosed) {
		t.Fatalf("Get after Close = %v; want ErrClosed", err)
	}
	// Notifications after Close reach no handler.
	e.updateDesired(map[string]any{"x": 1})
	e.rec.none(t, 20*time.Millisecond)
}
