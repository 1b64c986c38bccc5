package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
)

// testRouter returns a Router with the methods the tests use, and the
// counter of relay.set's effects.
func testRouter(release <-chan struct{}) (*command.Router, *atomic.Int64) {
	var effects atomic.Int64
	r := command.NewRouter()
	r.HandleFunc("sensor.list", func(ctx context.Context, req *command.Request) command.Response {
		return command.JSON(command.StatusOK, []string{"temp", "humidity"})
	})
	r.HandleFunc("relay.set", func(ctx context.Context, req *command.Request) command.Response {
		effects.Add(1)
		return command.Response{Status: command.StatusNoContent}
	})
	r.HandleFunc("echo", func(ctx context.Context, req *command.Request) command.Response {
		return command.Response{Status: command.StatusOK, Payload: req.Payload}
	})
	r.HandleFunc("crash", func(ctx context.Context, req *command.Request) command.Response {
		panic("boom")
	})
	r.HandleFunc("hang", func(ctx context.Context, req *command.Request) command.Response {
		<-ctx.Done()
		return command.Response{}
	})
	r.HandleFunc("block", func(ctx context.Context, req *command.Request) command.Response {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return command.Response{Status: command.StatusNoContent}
	})
	r.HandleFunc("big", func(ctx context.Context, req *command.Request) command.Response {
		return command.JSON(command.StatusOK, strings.Repeat("x", 200<<10))
	})
	return r, &effects
}

func quietLog() command.Option { return command.WithLogger(discardLogger()) }

func mustDevice(t *testing.T, tr command.DeviceTransport, h command.Handler, opts ...command.Option) *command.Device {
	t.Helper()
	d, err := command.NewDevice(t.Context(), tr, h, append([]command.Option{quietLog()}, opts...)...)
	if err != nil {
		t.Fatalf("NewDevice: %v", err)
	}
	t.Cleanup(func() { _ = d.Shutdown(context.Background()) })
	return d
}

// wire is the application's raw view of a device's responses.
type wire struct {
	app  *fakeTransport
	resp chan transport.Message
}

func newWire(t *testing.T, b *bus, filter string) *wire {
	w := &wire{app: newFakeTransport(t, b, transport.CloudAWS, "app"), resp: make(chan transport.Message, 64)}
	if err := w.app.SubscribeRaw(t.Context(), filter, 1, func(_ context.Context, m transport.Message) { w.resp <- m }); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *wire) send(t *testing.T, topic, payload string) {
	t.Helper()
	if err := w.app.PublishRaw(t.Context(), topic, []byte(payload), 1); err != nil {
		t.Fatal(err)
	}
}

// next returns the next response envelope on the wire.
func (w *wire) next(t *testing.T) (topic, tid string, resp command.Response) {
	t.Helper()
	select {
	case m := <-w.resp:
		var env struct {
			TID     string          `json:"tid"`
			Status  int             `json:"status"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(m.Payload, &env); err != nil {
			t.Fatalf("response on %s is not an envelope: %s", m.Topic, m.Payload)
		}
		return m.Topic, env.TID, command.Response{Status: env.Status, Payload: env.Payload}
	case <-time.After(5 * time.Second):
		t.Fatal("no response on the wire")
	}
	return "", "", command.Response{}
}

func TestDeviceCanonicalAnswersEveryFailureOnTheWire(t *testing.T) {
	b := newBus(t)
	release := make(chan struct{})
	r, _ := testRouter(release)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r, command.WithMaxConcurrent(1))
	w := newWire(t, b, "gw-7/response/#")

	tests := []struct {
		name, topic, payload string
		wantTopic, wantTID   string
		wantStatus           int
		wantInPayload        string
	}{
		{"ok", "gw-7/request/sensor/list", `{"tid":"t1"}`, "gw-7/response/sensor/list", "t1", 200, "humidity"},
		{"unknown method 404", "gw-7/request/fan/set", `{"tid":"t2"}`, "gw-7/response/fan/set", "t2", 404, "unknown method"},
		{"no tid 400", "gw-7/request/sensor/list", `{"method":"sensor.list"}`, "gw-7/response/sensor/list", "", 400, "tid"},
		{"not JSON 400", "gw-7/request/sensor/list", `not json`, "gw-7/response/sensor/list", "", 400, "malformed"},
		{"bad field keeps tid 400", "gw-7/request/sensor/list", `{"tid":"t3","timeoutMs":-5}`, "gw-7/response/sensor/list", "t3", 400, "timeoutMs"},
		{"method mismatch 400", "gw-7/request/sensor/list", `{"tid":"t4","method":"relay.set"}`, "gw-7/response/sensor/list", "t4", 400, "does not match"},
		{"dot in topic level 400", "gw-7/request/sensor.list", `{"tid":"t5"}`, "gw-7/response/sensor.list", "t5", 400, "invalid topic"},
		{"panic 500", "gw-7/request/crash", `{"tid":"t6"}`, "gw-7/response/crash", "t6", 500, "panicked"},
		{"deadline 504", "gw-7/request/hang", `{"tid":"t7","timeoutMs":30}`, "gw-7/response/hang", "t7", 504, "deadline"},
		{"expired deadline 504", "gw-7/request/sensor/list", `{"tid":"t8","deadline":"2001-01-01T00:00:00Z"}`, "gw-7/response/sensor/list", "t8", 504, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.send(t, tt.topic, tt.payload)
			topic, tid, resp := w.next(t)
			if topic != tt.wantTopic || tid != tt.wantTID || resp.Status != tt.wantStatus || !strings.Contains(string(resp.Payload), tt.wantInPayload) {
				t.Fatalf("got %s tid %q %d %s; want %s tid %q %d containing %q", topic, tid, resp.Status, resp.Payload,
					tt.wantTopic, tt.wantTID, tt.wantStatus, tt.wantInPayload)
			}
		})
	}

	t.Run("busy 503", func(t *testing.T) {
		// A handler past its deadline ("hang") keeps its slot until it
		// returns: wait until a probe runs.
		for i := 0; ; i++ {
			w.send(t, "gw-7/request/sensor/list", fmt.Sprintf(`{"tid":"probe%d"}`, i))
			if _, _, resp := w.next(t); resp.Status == command.StatusOK {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		w.send(t, "gw-7/request/block", `{"tid":"b1"}`)
		waitFor(t, func() bool { return len(b.messages("gw-7/request/block")) == 1 })
		time.Sleep(20 * time.Millisecond) // b1 admitted (one subscription: in order anyway)
		w.send(t, "gw-7/request/sensor/list", `{"tid":"b2"}`)
		_, tid, resp := w.next(t)
		if tid != "b2" || resp.Status != command.StatusServiceUnavailable {
			t.Fatalf("got tid %q status %d %s, want b2 503", tid, resp.Status, resp.Payload)
		}
		close(release)
		if _, tid, resp = w.next(t); tid != "b1" || resp.Status != command.StatusNoContent {
			t.Fatalf("got tid %q status %d, want b1 204", tid, resp.Status)
		}
	})
}

func TestDeviceExactlyOnceUnderDuplicateDelivery(t *testing.T) {
	b := newBus(t)
	b.setDuplicate(true)
	r, effects := testRouter(nil)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r)
	inv := command.NewInvoker(newFakeTransport(t, b, transport.CloudAWS, "app"), command.InvokerConfig{})
	defer inv.Close(context.Background())

	res, err := inv.Invoke(t.Context(), "gw-7", "relay.set", map[string]string{"state": "on"})
	if err != nil || res.Status != command.StatusNoContent || res.Attempts != 1 {
		t.Fatalf("Invoke = %+v, %v; want 204 after 1 attempt", res, err)
	}
	// Both deliveries of the request were answered, the handler ran once.
	waitFor(t, func() bool { return len(b.messages("gw-7/response/relay/set")) == 2 })
	if n := effects.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
	for _, m := range b.messages("gw-7/response/relay/set") {
		if m.qos != command.ResponseQoS || !strings.Contains(m.payload, `"tid":"`+res.TID+`"`) {
			t.Fatalf("response %+v: want QoS 1 and tid %s", m, res.TID)
		}
	}
}

func TestInvokeRetryAfterLostResponseGetsCachedAnswer(t *testing.T) {
	b := newBus(t)
	var dropped atomic.Bool
	b.setDrop(func(topic string, _ []byte) bool {
		return strings.HasPrefix(topic, "gw-7/response/") && dropped.CompareAndSwap(false, true)
	})
	r, effects := testRouter(nil)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r)
	inv := command.NewInvoker(newFakeTransport(t, b, transport.CloudAWS, "app"), command.InvokerConfig{
		AttemptTimeout: 100 * time.Millisecond, Attempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	defer inv.Close(context.Background())

	res, err := inv.Invoke(t.Context(), "gw-7", "relay.set", nil)
	if err != nil || res.Status != command.StatusNoContent || res.Attempts != 2 {
		t.Fatalf("Invoke = %+v, %v; want 204 after 2 attempts", res, err)
	}
	reqs := b.messages("gw-7/request/relay/set")
	if len(reqs) != 2 {
		t.Fatalf("%d requests published, want 2", len(reqs))
	}
	for _, m := range reqs {
		if !strings.Contains(m.payload, `"tid":"`+res.TID+`"`) {
			t.Fatalf("request %s does not reuse tid %s", m.payload, res.TID)
		}
	}
	if n := effects.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestDeviceCmdScheme(t *testing.T) {
	b := newBus(t)
	r, effects := testRouter(nil)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r, command.WithScheme(command.SchemeCmd))
	inv := command.NewInvoker(newFakeTransport(t, b, transport.CloudAWS, "app"), command.InvokerConfig{Scheme: command.SchemeCmd})
	defer inv.Close(context.Background())

	res, err := inv.Invoke(t.Context(), "gw-7", "relay.set", nil)
	if err != nil || res.Status != command.StatusNoContent || effects.Load() != 1 {
		t.Fatalf("Invoke = %+v, %v (effects %d); want 204, 1 effect", res, err, effects.Load())
	}
	if n := len(b.messages("cmd/gw-7/req")); n != 1 {
		t.Fatalf("%d requests on cmd/gw-7/req, want 1", n)
	}
	if n := len(b.messages("cmd/gw-7/resp")); n != 1 {
		t.Fatalf("%d responses on cmd/gw-7/resp, want 1", n)
	}

	w := newWire(t, b, "cmd/gw-7/resp")
	w.send(t, "cmd/gw-7/req", `{"tid":"m1"}`)
	if _, tid, resp := w.next(t); tid != "m1" || resp.Status != command.StatusBadRequest {
		t.Fatalf("envelope without method: tid %q status %d, want m1 400", tid, resp.Status)
	}
}

func TestDeviceOrderingFollowsArrival(t *testing.T) {
	b := newBus(t)
	release := make(chan struct{})
	r, _ := testRouter(release)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r,
		command.WithOrdering(func(context.Context, *command.Request) []byte { return []byte(`{"seq":2}`) }))
	w := newWire(t, b, "gw-7/response/#")

	// seq 1 blocks; seq 2 arrives while it runs and is admitted after it.
	w.send(t, "gw-7/request/block", `{"tid":"s1","seq":1,"sender":"app"}`)
	w.send(t, "gw-7/request/relay/set", `{"tid":"s2","seq":2,"sender":"app"}`)
	if _, tid, resp := w.next(t); tid != "s2" || resp.Status != command.StatusNoContent {
		t.Fatalf("got tid %q status %d, want s2 204 while s1 runs", tid, resp.Status)
	}
	close(release)
	if _, tid, resp := w.next(t); tid != "s1" || resp.Status != command.StatusNoContent {
		t.Fatalf("got tid %q status %d, want s1 204", tid, resp.Status)
	}
	w.send(t, "gw-7/request/relay/set", `{"tid":"s3","seq":1,"sender":"app"}`)
	if _, tid, resp := w.next(t); tid != "s3" || resp.Status != command.StatusConflict || string(resp.Payload) != `{"seq":2}` {
		t.Fatalf("got tid %q status %d %s, want s3 409 with the state", tid, resp.Status, resp.Payload)
	}
}

func TestDeviceResponseTooLargeForAWS(t *testing.T) {
	b := newBus(t)
	r, _ := testRouter(nil)
	dev := newFakeTransport(t, b, transport.CloudAWS, "gw-7")
	dev.maxPayload = 128 << 10
	mustDevice(t, dev, r)
	w := newWire(t, b, "gw-7/response/#")
	w.send(t, "gw-7/request/big", `{"tid":"L1"}`)
	_, tid, resp := w.next(t)
	if tid != "L1" || resp.Status != command.StatusInternalServerError || !strings.Contains(string(resp.Payload), "too large") {
		t.Fatalf("got tid %q %d %s, want L1 500 too large", tid, resp.Status, resp.Payload)
	}
}

func TestNewDeviceRefusesWhatTheCloudCannotDo(t *testing.T) {
	b := newBus(t)
	r, _ := testRouter(nil)
	az := newFakeTransport(t, b, transport.CloudAzure, "dev1")
	for name, opt := range map[string]command.Option{
		"cmd scheme on Azure": command.WithScheme(command.SchemeCmd),
		"groups on Azure":     command.WithGroups("g"),
	} {
		if _, err := command.NewDevice(t.Context(), az, r, opt); err == nil {
			t.Errorf("%s: NewDevice succeeded", name)
		}
	}
	aws := newFakeTransport(t, b, transport.CloudAWS, "gw-7")
	if _, err := command.NewDevice(t.Context(), aws, r, command.WithGroups("bad/group")); !errors.Is(err, command.ErrInvalidTopic) {
		t.Errorf("invalid group: err = %v, want ErrInvalidTopic", err)
	}
	bad := newFakeTransport(t, b, transport.CloudAWS, "a/b")
	if _, err := command.NewDevice(t.Context(), bad, r); err == nil {
		t.Error("device id with '/': NewDevice succeeded")
	}
}

func TestDeviceShutdownAnswers503AndLeavesNoGoroutine(t *testing.T) {
	leakcheck.Check(t)
	b := newBus(t)
	release := make(chan struct{})
	r, _ := testRouter(release)
	devT := newFakeTransport(t, b, transport.CloudAWS, "gw-7")
	appT := newFakeTransport(t, b, transport.CloudAWS, "app")
	d, err := command.NewDevice(t.Context(), devT, r, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	inv := command.NewInvoker(appT, command.InvokerConfig{AttemptTimeout: time.Second, Attempts: 1})
	if _, err := inv.Invoke(t.Context(), "gw-7", "sensor.list", nil); err != nil {
		t.Fatal(err)
	}
	// One command still running at Shutdown: it is answered before Shutdown returns.
	done := make(chan error, 1)
	go func() { _, err := inv.Invoke(context.Background(), "gw-7", "block", nil); done <- err }()
	waitFor(t, func() bool { return len(b.messages("gw-7/request/block")) == 1 })
	time.Sleep(20 * time.Millisecond)
	shut := make(chan error, 1)
	go func() { shut <- d.Shutdown(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Invoke of the command running at Shutdown: %v", err)
	}
	// After Shutdown the canonical handler is still there and answers 503.
	_, err = inv.Invoke(t.Context(), "gw-7", "sensor.list", nil)
	if !errors.Is(err, command.ErrBusy) {
		t.Fatalf("Invoke after Shutdown: %v, want a 503 StatusError", err)
	}
	if err := inv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = devT.Close(t.Context())
	_ = appT.Close(t.Context())
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
