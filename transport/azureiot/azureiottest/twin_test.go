package azureiottest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/twin"
)

// twinDevice is a raw connection subscribed to the twin topics, recording
// what the hub sends on them.
type twinDevice struct {
	t    *testing.T
	conn *transport.Conn
	res  chan transport.Message
	des  chan transport.Message
}

// connectTwin connects cfg and subscribes to the twin topics (responses
// and desired patches, each when asked).
func connectTwin(t *testing.T, cfg azureiot.Config, responses, desired bool) *twinDevice {
	t.Helper()
	d := &twinDevice{t: t, conn: connect(t, cfg),
		res: make(chan transport.Message, 10), des: make(chan transport.Message, 10)}
	ctx := testContext(t)
	if responses {
		if err := d.conn.SubscribeRaw(ctx, azureiot.TwinResponseFilter, 1, func(_ context.Context, m transport.Message) { d.res <- m }); err != nil {
			t.Fatal(err)
		}
	}
	if desired {
		if err := d.conn.SubscribeRaw(ctx, azureiot.TwinDesiredFilter, 1, func(_ context.Context, m transport.Message) { d.des <- m }); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// request publishes a twin request and returns the response.
func (d *twinDevice) request(topic, payload string) transport.Message {
	d.t.Helper()
	ctx := testContext(d.t)
	if err := d.conn.PublishRaw(ctx, topic, []byte(payload), 1); err != nil {
		d.t.Fatalf("publish %s: %v", topic, err)
	}
	return next(d.t, d.res, "response to "+topic)
}

func next(t *testing.T, ch chan transport.Message, what string) transport.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s", what)
		return transport.Message{}
	}
}

func nothing(t *testing.T, ch chan transport.Message, d time.Duration) {
	t.Helper()
	select {
	case m := <-ch:
		t.Fatalf("unexpected message %s %s", m.Topic, m.Payload)
	case <-time.After(d):
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameJSON reports whether payload is the JSON document want (key order
// aside).
func sameJSON(payload []byte, want string) bool {
	var a, b any
	if json.Unmarshal(payload, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return jsonOf(a) == jsonOf(b)
}

func TestTwinRequests(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	d := connectTwin(t, h.AddDevice("dev1"), true, false)

	tests := []struct {
		name, topic, payload string
		wantTopic, wantBody  string // wantBody "" checks nothing
	}{
		{"get a new twin", "$iothub/twin/GET/?$rid=1", "",
			"$iothub/twin/res/200/?$rid=1", `{"desired":{"$version":1},"reported":{"$version":1}}`},
		{"reported patch", "$iothub/twin/PATCH/properties/reported/?$rid=2", `{"temperature":21.5,"fw":{"v":"1.0"}}`,
			"$iothub/twin/res/204/?$rid=2&$version=2", ""},
		{"nested merge", "$iothub/twin/PATCH/properties/reported/?$rid=3", `{"fw":{"v":null,"build":7}}`,
			"$iothub/twin/res/204/?$rid=3&$version=3", ""},
		{"get after patches", "$iothub/twin/GET/?$rid=abc", "",
			"$iothub/twin/res/200/?$rid=abc", `{"desired":{"$version":1},"reported":{"fw":{"build":7},"temperature":21.5,"$version":3}}`},
		{"not JSON", "$iothub/twin/PATCH/properties/reported/?$rid=5", `{"a":`,
			"$iothub/twin/res/400/?$rid=5", ""},
		{"not an object", "$iothub/twin/PATCH/properties/reported/?$rid=6", `[1]`,
			"$iothub/twin/res/400/?$rid=6", ""},
		{"key with a dollar", "$iothub/twin/PATCH/properties/reported/?$rid=7", `{"$x":1}`,
			"$iothub/twin/res/400/?$rid=7", ""},
	}
	for _, tt := range tests {
		m := d.request(tt.topic, tt.payload)
		if m.Topic != tt.wantTopic {
			t.Errorf("%s: response on %s, want %s", tt.name, m.Topic, tt.wantTopic)
		}
		if tt.wantBody != "" && !sameJSON(m.Payload, tt.wantBody) {
			t.Errorf("%s: body %s, want %s", tt.name, m.Payload, tt.wantBody)
		}
	}
	tw, ok := h.Twin("dev1")
	if !ok || tw.Reported.Version != 3 || jsonOf(tw.Reported.Values) != `{"fw":{"build":7},"temperature":21.5}` ||
		tw.Desired.Version != 1 || len(tw.Desired.Values) != 0 {
		t.Errorf("Twin = %+v, %v", tw, ok)
	}
	if !d.conn.IsConnected() {
		t.Error("a refused patch closed the connection")
	}
}

func TestTwinPerIdentity(t *testing.T) {
	h := azureiottest.New(t)
	dev := connectTwin(t, h.AddDevice("dev1"), true, false)
	mod := connectTwin(t, h.AddModule("dev1", "mod1"), true, false)
	if m := mod.request("$iothub/twin/PATCH/properties/reported/?$rid=1", `{"who":"module"}`); m.Topic != "$iothub/twin/res/204/?$rid=1&$version=2" {
		t.Fatalf("module patch answered on %s", m.Topic)
	}
	if m := dev.request("$iothub/twin/PATCH/properties/reported/?$rid=1", `{"who":"device"}`); m.Topic != "$iothub/twin/res/204/?$rid=1&$version=2" {
		t.Fatalf("device patch answered on %s", m.Topic)
	}
	if _, err := h.UpdateDesired("dev1/mod1", map[string]any{"for": "module"}); err != nil {
		t.Fatal(err)
	}
	devTwin, _ := h.Twin("dev1")
	modTwin, _ := h.Twin("dev1/mod1")
	if jsonOf(devTwin.Reported.Values) != `{"who":"device"}` || devTwin.Desired.Version != 1 {
		t.Errorf("device twin %+v", devTwin)
	}
	if jsonOf(modTwin.Reported.Values) != `{"who":"module"}` || jsonOf(modTwin.Desired.Values) != `{"for":"module"}` || modTwin.Desired.Version != 2 {
		t.Errorf("module twin %+v", modTwin)
	}
}

func TestTwinOfIdentities(t *testing.T) {
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	tw, ok := h.Twin("dev1")
	if !ok || tw.Desired.Version != 1 || tw.Reported.Version != 1 || len(tw.Desired.Values)+len(tw.Reported.Values) != 0 {
		t.Errorf("twin of a new device = %+v, %v", tw, ok)
	}
	if _, ok := h.Twin("ghost"); ok {
		t.Error("an unknown device has a twin")
	}
	// The copy is the caller's.
	if _, err := h.UpdateDesired("dev1", map[string]any{"a": map[string]any{"b": 1}}); err != nil {
		t.Fatal(err)
	}
	tw, _ = h.Twin("dev1")
	tw.Desired.Values["a"].(map[string]any)["b"] = 2
	if again, _ := h.Twin("dev1"); jsonOf(again.Desired.Values) != `{"a":{"b":1}}` {
		t.Errorf("Twin's copy is shared: %s", jsonOf(again.Desired.Values))
	}
}

func TestTwinResponsesNeedSubscription(t *testing.T) {
	h := azureiottest.New(t)
	d := connectTwin(t, h.AddDevice("dev1"), false, false)
	if err := d.conn.PublishRaw(testContext(t), "$iothub/twin/PATCH/properties/reported/?$rid=1", []byte(`{"a":1}`), 1); err != nil {
		t.Fatal(err)
	}
	// The request was served (the twin changed) but its answer is lost.
	if tw, _ := h.Twin("dev1"); tw.Reported.Version != 2 {
		t.Errorf("reported version %d, want 2", tw.Reported.Version)
	}
	if !d.conn.IsConnected() {
		t.Error("the connection was closed")
	}
}

func TestTwinUpdateDesired(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	subscribed := connectTwin(t, h.AddDevice("dev1"), true, true)
	other := connectTwin(t, h.AddDevice("dev2"), true, false) // no desired subscription

	v, err := h.UpdateDesired("dev1", map[string]any{"setpoint": 22.5, "mode": "eco"})
	if err != nil || v != 2 {
		t.Fatalf("UpdateDesired = %d, %v; want 2", v, err)
	}
	m := next(t, subscribed.des, "desired patch")
	if m.Topic != "$iothub/twin/PATCH/properties/desired/?$version=2" || !sameJSON(m.Payload, `{"mode":"eco","setpoint":22.5,"$version":2}`) {
		t.Errorf("notification %s %s", m.Topic, m.Payload)
	}
	if v, err := h.UpdateDesired("dev1", map[string]any{"mode": nil}); err != nil || v != 3 {
		t.Fatalf("UpdateDesired = %d, %v; want 3", v, err)
	}
	if m := next(t, subscribed.des, "desired patch"); !sameJSON(m.Payload, `{"mode":null,"$version":3}`) {
		t.Errorf("deletion notified as %s", m.Payload)
	}
	if tw, _ := h.Twin("dev1"); jsonOf(tw.Desired.Values) != `{"setpoint":22.5}` || tw.Desired.Version != 3 {
		t.Errorf("stored desired %+v", tw.Desired)
	}

	// A device that did not subscribe is not notified; its twin changes.
	if v, err := h.UpdateDesired("dev2", map[string]any{"x": 1}); err != nil || v != 2 {
		t.Fatalf("UpdateDesired(dev2) = %d, %v", v, err)
	}
	nothing(t, other.res, 50*time.Millisecond)
	if m := other.request("$iothub/twin/GET/?$rid=9", ""); !sameJSON(m.Payload, `{"desired":{"x":1,"$version":2},"reported":{"$version":1}}`) {
		t.Errorf("GET after the update: %s", m.Payload)
	}
}

// The hub queues nothing for a device that is offline, even in a
// persistent session that keeps its subscriptions.
func TestTwinUpdateDesiredWhileOffline(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.PersistentSession = true
	cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	d := connectTwin(t, cfg, true, true)
	ctx := testContext(t)

	b := h.Broker()
	b.RefuseConnect(3, -1)
	if !b.Disconnect("dev1") {
		t.Fatal("dev1 was not connected")
	}
	if !h.Subscribed("dev1", "$iothub/twin/PATCH/properties/desired/?$version=2") {
		t.Fatal("the persistent session lost its subscription")
	}
	if v, err := h.UpdateDesired("dev1", map[string]any{"setpoint": 19}); err != nil || v != 2 {
		t.Fatalf("UpdateDesired = %d, %v", v, err)
	}
	b.RefuseConnect(0, 0)
	if err := b.WaitConnected(ctx, "dev1"); err != nil {
		t.Fatal(err)
	}
	nothing(t, d.des, 100*time.Millisecond)
	// The change is in the twin for the device's next GET.
	if m := d.request("$iothub/twin/GET/?$rid=1", ""); !sameJSON(m.Payload, `{"desired":{"setpoint":19,"$version":2},"reported":{"$version":1}}`) {
		t.Errorf("GET after reconnecting: %s", m.Payload)
	}
}

func TestTwinUpdateDesiredErrors(t *testing.T) {
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	tests := []struct {
		name   string
		id     string
		patch  map[string]any
		is     []error
		reject bool
	}{
		{"unknown device", "ghost", map[string]any{"a": 1}, []error{azureiottest.ErrUnknownDevice}, false},
		{"unknown module", "dev1/mod9", map[string]any{"a": 1}, []error{azureiottest.ErrUnknownDevice}, false},
		{"nil patch", "dev1", nil, []error{azureiottest.ErrInvalidTwinPatch}, true},
		{"invalid key", "dev1", map[string]any{"a.b": 1}, []error{azureiottest.ErrInvalidTwinPatch, twin.ErrInvalidKey}, true},
		{"integer out of range", "dev1", map[string]any{"n": int64(1) << 53}, []error{azureiottest.ErrInvalidTwinPatch, twin.ErrIntegerOutOfRange}, true},
		{"not JSON", "dev1", map[string]any{"c": make(chan int)}, []error{azureiottest.ErrInvalidTwinPatch}, true},
	}
	for _, tt := range tests {
		v, err := h.UpdateDesired(tt.id, tt.patch)
		for _, target := range tt.is {
			if !errors.Is(err, target) {
				t.Errorf("%s: UpdateDesired = %d, %v; want %v", tt.name, v, err, target)
			}
		}
	}
	if tw, _ := h.Twin("dev1"); tw.Desired.Version != 1 {
		t.Errorf("refused patches changed the twin: %+v", tw.Desired)
	}
	_ = h.Close()
	if _, err := h.UpdateDesired("dev1", map[string]any{"a": 1}); !errors.Is(err, azureiottest.ErrClosed) {
		t.Errorf("UpdateDesired after Close: %v", err)
	}
	if _, ok := h.Twin("dev1"); !ok {
		t.Error("Twin after Close: not found")
	}
}

func TestFailTwinRequests(t *testing.T) {
	h := azureiottest.New(t)
	d := connectTwin(t, h.AddDevice("dev1"), true, false)
	h.FailTwinRequests("dev1", 429, 2)
	h.FailTwinRequests("dev1", 503, 1)
	h.FailTwinRequests("dev1", 0, 1)
	h.FailTwinRequests("dev1", 400, 0) // does nothing
	want := []string{
		"$iothub/twin/res/429/?$rid=1",
		"$iothub/twin/res/429/?$rid=2",
		"$iothub/twin/res/503/?$rid=3",
	}
	for i, w := range want {
		rid := string(rune('1' + i))
		if m := d.request("$iothub/twin/PATCH/properties/reported/?$rid="+rid, `{"a":1}`); m.Topic != w {
			t.Errorf("request %d answered on %s, want %s", i+1, m.Topic, w)
		}
	}
	// Status 0: no answer at all.
	if err := d.conn.PublishRaw(testContext(t), "$iothub/twin/GET/?$rid=4", nil, 1); err != nil {
		t.Fatal(err)
	}
	nothing(t, d.res, 50*time.Millisecond)
	if m := d.request("$iothub/twin/PATCH/properties/reported/?$rid=5", `{"a":1}`); m.Topic != "$iothub/twin/res/204/?$rid=5&$version=2" {
		t.Errorf("after the failures: %s", m.Topic)
	}
}
