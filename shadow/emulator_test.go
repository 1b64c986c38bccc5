package shadow_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// These tests run the client against the AWS IoT Core emulator: real TLS,
// MQTT, the awsiot adapter and the emulator's shadow service.

// emuDevice is an emulator and one device connected to it.
type emuDevice struct {
	t      *testing.T
	e      *awsiottest.Emulator
	conn   *transport.Conn
	deltas chan shadow.Delta
}

// newEmuDevice starts an emulator and connects the device thing to it.
// Everything is closed when the test ends, then checked for leaks.
func newEmuDevice(t *testing.T) *emuDevice {
	t.Helper()
	leakcheck.Check(t)
	e := awsiottest.New(t)
	conn, err := awsiot.New(e.DeviceConfig(thing))
	if err != nil {
		t.Fatal(err)
	}
	d := &emuDevice{t: t, e: e, conn: conn, deltas: make(chan shadow.Delta, 100)}
	if err := conn.Connect(d.ctx()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return d
}

// ctx is a test-bounded context.
func (d *emuDevice) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	d.t.Cleanup(cancel)
	return ctx
}

// client starts a shadow client recording its deltas; it is closed when
// the test ends.
func (d *emuDevice) client(opts ...shadow.Option) *shadow.Client {
	d.t.Helper()
	opts = append([]shadow.Option{shadow.WithDeltaHandler(func(_ context.Context, dl shadow.Delta) { d.deltas <- dl })}, opts...)
	c, err := shadow.New(d.ctx(), d.conn, opts...)
	if err != nil {
		d.t.Fatalf("New: %v", err)
	}
	d.t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			d.t.Errorf("Close: %v", err)
		}
	})
	return c
}

func (d *emuDevice) nextDelta() shadow.Delta {
	d.t.Helper()
	select {
	case dl := <-d.deltas:
		return dl
	case <-time.After(waitFor):
		d.t.Fatal("no delta delivered")
		return shadow.Delta{}
	}
}

func (d *emuDevice) noDelta(wait time.Duration) {
	d.t.Helper()
	select {
	case got := <-d.deltas:
		d.t.Fatalf("unexpected delta: version %d %v", got.Version, got.State)
	case <-time.After(wait):
	}
}

func (d *emuDevice) setDesired(shadowName string, desired map[string]any) {
	d.t.Helper()
	if err := d.e.SetDesired(thing, shadowName, desired); err != nil {
		d.t.Fatal(err)
	}
}

// requests counts the device's publishes to the shadow request topic op
// ("get", "update", "delete") that reached the emulator.
func (d *emuDevice) requests(op string) int {
	n := 0
	for _, m := range d.e.Received(thing) {
		if strings.HasPrefix(m.Topic, "$aws/things/") && strings.HasSuffix(m.Topic, "/shadow/"+op) {
			n++
		}
	}
	return n
}

func TestEmulatorGetMissingShadow(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	_, err := c.Get(d.ctx())
	var se *shadow.Error
	if !errors.Is(err, shadow.ErrNotFound) || !errors.As(err, &se) || se.Local || se.Code != 404 {
		t.Fatalf("Get = %v, want the service's 404", err)
	}
	if _, ok := c.Document(); ok {
		t.Fatal("the client has a document")
	}
}

func TestEmulatorUpdateReportedThenGet(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	acc, err := c.UpdateReported(d.ctx(), map[string]any{"temp": 21, "fw": "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Version != 1 || num(acc.Reported["temp"]) != "21" {
		t.Fatalf("accepted %+v", acc)
	}
	doc, err := c.Get(d.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || num(doc.Reported["temp"]) != "21" || doc.Reported["fw"] != "1.2" || doc.Delta != nil {
		t.Fatalf("Get = %+v", doc)
	}
	cloud, ok := d.e.ShadowDocument(thing, "")
	if !ok || cloud.Version != 1 || cloud.State.Reported["fw"] != "1.2" {
		t.Fatalf("the emulator holds %+v, %v", cloud, ok)
	}
}

func TestEmulatorDeltaWhileOnline(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"fan": 1}); err != nil {
		t.Fatal(err)
	}
	d.setDesired("", map[string]any{"fan": 3})
	dl := d.nextDelta()
	if dl.Version != 2 || num(dl.State["fan"]) != "3" || num(dl.Desired["fan"]) != "3" {
		t.Fatalf("delta %+v", dl)
	}
	eventually(t, "the client to apply version 2", func() bool { return docVersion(c) == 2 })
	d.noDelta(50 * time.Millisecond)
}

func TestEmulatorDeltaWhileOffline(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"fan": 1}); err != nil {
		t.Fatal(err)
	}
	gets := d.requests("get")

	// Cut the connection and keep the device away while the cloud changes
	// desired.
	b := d.e.Broker()
	b.RefuseConnect(3, -1)
	if !b.Disconnect(thing) {
		t.Fatal("the device was not connected")
	}
	d.setDesired("", map[string]any{"fan": 5})
	d.noDelta(100 * time.Millisecond)
	if doc, _ := d.e.ShadowDocument(thing, ""); doc.Version != 2 {
		t.Fatalf("the cloud is at version %d", doc.Version)
	}

	b.RefuseConnect(0, 0)
	dl := d.nextDelta()
	if dl.Version != 2 || num(dl.State["fan"]) != "5" {
		t.Fatalf("delta after reconnecting %+v", dl)
	}
	if got := d.requests("get"); got <= gets {
		t.Fatalf("no GET after reconnecting (%d before, %d after)", gets, got)
	}
	if v := docVersion(c); v != 2 {
		t.Fatalf("the client holds version %d", v)
	}
}

func TestEmulatorConcurrentUpdates(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	ctx := d.ctx()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	versions := make(chan int64, 2)
	for _, key := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := c.UpdateReported(ctx, map[string]any{key: key})
			if err != nil {
				errs <- err
				return
			}
			versions <- acc.Version
		}()
	}
	wg.Wait()
	close(errs)
	close(versions)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for v := range versions {
		seen[v] = true
	}
	if !seen[1] || !seen[2] {
		t.Fatalf("versions %v, want 1 and 2", seen)
	}
	eventually(t, "the client to apply both updates", func() bool { return docVersion(c) == 2 })
	doc, _ := c.Document()
	if doc.Reported["a"] != "a" || doc.Reported["b"] != "b" {
		t.Fatalf("document %+v", doc)
	}
}

func TestEmulatorModifyRetriesAfterCloudUpdate(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"count": 1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the client to apply version 1", func() bool { return docVersion(c) == 1 })

	calls := 0
	acc, err := c.Modify(d.ctx(), func(doc shadow.Document) (shadow.Update, error) {
		calls++
		if calls == 1 {
			// The cloud writes between the read and the write.
			d.setDesired("", map[string]any{"mode": "eco"})
		}
		var n int
		if v, ok := doc.Reported["count"]; ok {
			n, _ = strconv.Atoi(num(v))
		}
		return shadow.Update{Reported: map[string]any{"count": n + 1, "seen": doc.Version}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || acc.Version != 3 {
		t.Fatalf("%d calls, version %d; want 2 calls, version 3", calls, acc.Version)
	}
	cloud, _ := d.e.ShadowDocument(thing, "")
	if num(cloud.State.Reported["count"]) != "2" || num(cloud.State.Reported["seen"]) != "2" || cloud.State.Desired["mode"] != "eco" {
		t.Fatalf("the cloud holds %+v", cloud.State)
	}

	// A conditional update on a stale version: 409 with the current document.
	_, err = c.Update(d.ctx(), shadow.Update{Reported: map[string]any{"x": 1}, Version: 1})
	var se *shadow.Error
	if !errors.Is(err, shadow.ErrVersionConflict) || !errors.As(err, &se) || se.Current == nil || se.Current.Version != 3 {
		t.Fatalf("stale update: %v", err)
	}
}

func TestEmulatorTooLargeRefusedLocally(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	updates := d.requests("update")
	_, err := c.UpdateReported(d.ctx(), map[string]any{"blob": strings.Repeat("x", 9000)})
	var se *shadow.Error
	if !errors.Is(err, shadow.ErrTooLarge) || !errors.As(err, &se) || !se.Local {
		t.Fatalf("UpdateReported = %v, want a local 413", err)
	}
	if got := d.requests("update"); got != updates {
		t.Fatalf("%d update requests reached the emulator", got-updates)
	}
}

func TestEmulatorTooLargeFromService(t *testing.T) {
	d := newEmuDevice(t)
	c := d.client()
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"a": strings.Repeat("x", 5000)}); err != nil {
		t.Fatal(err)
	}
	// Small enough alone, too large merged with what the shadow holds.
	_, err := c.UpdateReported(d.ctx(), map[string]any{"b": strings.Repeat("y", 5000)})
	var se *shadow.Error
	if !errors.Is(err, shadow.ErrTooLarge) || !errors.As(err, &se) || se.Local || se.Code != 413 {
		t.Fatalf("UpdateReported = %v, want the service's 413", err)
	}
	if got := d.requests("update"); got != 2 {
		t.Fatalf("%d update requests reached the emulator, want 2", got)
	}
	if doc, _ := d.e.ShadowDocument(thing, ""); doc.Version != 1 || doc.State.Reported["b"] != nil {
		t.Fatalf("the rejected update changed the shadow: version %d", doc.Version)
	}
}

func TestEmulatorNamedShadow(t *testing.T) {
	d := newEmuDevice(t)
	classicDeltas := make(chan shadow.Delta, 10)
	d.client(shadow.WithDeltaHandler(func(_ context.Context, dl shadow.Delta) { classicDeltas <- dl }))
	c := d.client(shadow.WithName("cfg"))
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"rate": 10}); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.e.ShadowDocument(thing, "cfg"); !ok {
		t.Fatal("the named shadow does not exist")
	}
	if _, ok := d.e.ShadowDocument(thing, ""); ok {
		t.Fatal("the classic shadow exists")
	}
	d.setDesired("cfg", map[string]any{"rate": 20})
	dl := d.nextDelta()
	if dl.Version != 2 || num(dl.State["rate"]) != "20" {
		t.Fatalf("named delta %+v", dl)
	}
	select {
	case got := <-classicDeltas:
		t.Fatalf("the classic shadow's client got %+v", got)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestEmulatorTooManyRequests(t *testing.T) {
	d := newEmuDevice(t)
	d.setDesired("", map[string]any{"fan": 1})
	// One slot more than AWS allows, so that the service answers 429.
	c := d.client(shadow.WithMaxInFlight(shadow.DefaultMaxInFlight + 1))
	// The client's initial GET is answered: nothing else is in flight.
	eventually(t, "the initial GET", func() bool { return docVersion(c) == 1 })
	d.nextDelta()

	d.e.HoldShadowRequests(thing)
	ctx := d.ctx()
	var wg sync.WaitGroup
	errs := make(chan error, shadow.DefaultMaxInFlight)
	for i := range shadow.DefaultMaxInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateReported(ctx, map[string]any{"n": i})
			errs <- err
		}()
	}
	eventually(t, "10 requests held", func() bool { return d.e.HeldShadowRequests(thing) == shadow.DefaultMaxInFlight })
	_, err := c.UpdateReported(d.ctx(), map[string]any{"n": "one too many"})
	var se *shadow.Error
	if !errors.Is(err, shadow.ErrTooManyRequests) || !errors.As(err, &se) || !se.SafeToRetry() {
		t.Fatalf("11th request: %v, want 429", err)
	}
	d.e.ReleaseShadowRequests(thing)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("held request: %v", err)
		}
	}
	if doc, _ := d.e.ShadowDocument(thing, ""); doc.Version != 1+int64(shadow.DefaultMaxInFlight) {
		t.Fatalf("version %d after the held updates", doc.Version)
	}
}

func TestEmulatorSyncer(t *testing.T) {
	d := newEmuDevice(t)
	var s state.Syncer = d.client()
	changes := make(chan state.Desired, 10)
	s.OnDesired(func(_ context.Context, ds state.Desired) { changes <- ds })
	if err := s.Report(d.ctx(), map[string]any{"fan": 1, "mode": "auto"}); err != nil {
		t.Fatal(err)
	}
	d.setDesired("", map[string]any{"fan": 2})
	select {
	case ds := <-changes:
		if ds.Version != 2 || num(ds.Changed["fan"]) != "2" || num(ds.State["fan"]) != "2" || len(ds.Changed) != 1 {
			t.Fatalf("OnDesired got %+v", ds)
		}
	case <-time.After(waitFor):
		t.Fatal("OnDesired not called")
	}
	ds, err := s.Desired(d.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version != 2 || num(ds.State["fan"]) != "2" || num(ds.Changed["fan"]) != "2" {
		t.Fatalf("Desired = %+v", ds)
	}
	if err := s.Report(d.ctx(), map[string]any{"fan": 2}); err != nil {
		t.Fatal(err)
	}
	if doc, _ := d.e.ShadowDocument(thing, ""); doc.State.Delta != nil || doc.Version != 3 {
		t.Fatalf("after reporting: version %d, delta %v", doc.Version, doc.State.Delta)
	}
}

func TestEmulatorCloseLeavesNoGoroutine(t *testing.T) {
	d := newEmuDevice(t) // its leak check covers the transport and the emulator
	before := leakcheck.Take()
	c, err := shadow.New(d.ctx(), d.conn, shadow.WithDeltaHandler(func(context.Context, shadow.Delta) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateReported(d.ctx(), map[string]any{"up": true}); err != nil {
		t.Fatal(err)
	}
	d.setDesired("", map[string]any{"up": false})
	if err := c.Close(d.ctx()); err != nil {
		t.Fatal(err)
	}
	// The transport starts goroutines of its own (an outbox replay per
	// connection) at moments of its choosing: count the client's only.
	var leaked []string
	for _, g := range before.Leaked(leakcheck.DefaultTimeout) {
		if strings.Contains(g, "tether-iot/tether/shadow.") {
			leaked = append(leaked, g)
		}
	}
	if len(leaked) > 0 {
		t.Fatalf("Close left %d goroutine(s):\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
	if _, err := c.Get(d.ctx()); !errors.Is(err, shadow.ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	// Close unsubscribed: the service's messages no longer reach the device.
	out := d.e.Broker().Stats().MessagesOut
	d.setDesired("", map[string]any{"up": true})
	time.Sleep(50 * time.Millisecond)
	if got := d.e.Broker().Stats().MessagesOut; got != out {
		t.Fatalf("%d shadow message(s) delivered after Close", got-out)
	}
}
