package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
)

func fastInvoker(t *testing.T, ps command.PubSub, cfg command.InvokerConfig) *command.Invoker {
	if cfg.AttemptTimeout == 0 {
		cfg.AttemptTimeout = 50 * time.Millisecond
	}
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	inv := command.NewInvoker(ps, cfg)
	t.Cleanup(func() { _ = inv.Close(context.Background()) })
	return inv
}

func TestInvokeResultAndStatusErrors(t *testing.T) {
	b := newBus(t)
	r, _ := testRouter(nil)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r)
	inv := fastInvoker(t, newFakeTransport(t, b, transport.CloudAWS, "app"), command.InvokerConfig{AttemptTimeout: time.Second})
	ctx := t.Context()

	res, err := inv.Invoke(ctx, "gw-7", "sensor.list", nil)
	var sensors []string
	if err != nil || res.Status != 200 || res.Decode(&sensors) != nil || !slices.Equal(sensors, []string{"temp", "humidity"}) {
		t.Fatalf("Invoke = %+v, %v (decoded %v)", res, err, sensors)
	}
	if res.Device != "gw-7" || res.Method != "sensor.list" || res.TID == "" || res.Attempts != 1 {
		t.Fatalf("Result = %+v", res)
	}

	for _, p := range []any{json.RawMessage(`{"a":1}`), []byte(`{"a":1}`), map[string]int{"a": 1}} {
		res, err = inv.Invoke(ctx, "gw-7", "echo", p)
		if err != nil || string(res.Payload) != `{"a":1}` {
			t.Fatalf("echo %T: %+v, %v", p, res, err)
		}
	}

	tests := []struct {
		method string
		status int
		is     error
	}{
		{"fan.set", 404, command.ErrUnknownMethod},
		{"crash", 500, nil},
	}
	for _, tt := range tests {
		res, err := inv.Invoke(ctx, "gw-7", tt.method, nil)
		var se *command.StatusError
		if !errors.As(err, &se) || se.Status != tt.status || res == nil || res.Status != tt.status {
			t.Fatalf("%s: res %+v err %v, want a %d StatusError", tt.method, res, err, tt.status)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Fatalf("%s: %v is not %v", tt.method, err, tt.is)
		}
		if se.Message == "" || se.TID != res.TID || se.Device != "gw-7" {
			t.Fatalf("%s: StatusError %+v", tt.method, se)
		}
	}

	if _, err := inv.Invoke(ctx, "gw-7", "echo", []byte("not json")); !errors.Is(err, command.ErrInvalidPayload) {
		t.Fatalf("invalid payload: %v", err)
	}
	if _, err := inv.Invoke(ctx, "gw-7", "bad/method", nil); !errors.Is(err, command.ErrInvalidMethod) {
		t.Fatalf("invalid method: %v", err)
	}
	if _, err := inv.Invoke(ctx, "a/b", "echo", nil); !errors.Is(err, command.ErrInvalidTopic) {
		t.Fatalf("invalid device: %v", err)
	}
}

func TestInvokeTimeoutIsTyped(t *testing.T) {
	b := newBus(t)
	app := newFakeTransport(t, b, transport.CloudAWS, "app")
	// MaxBackoff only adds slack to the deadline (the first pause is at most
	// MinBackoff): the second attempt happens even on a loaded machine.
	inv := command.NewInvoker(app, command.InvokerConfig{AttemptTimeout: 50 * time.Millisecond, Attempts: 2,
		MinBackoff: time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	defer inv.Close(context.Background())

	_, err := inv.Invoke(t.Context(), "nobody", "sensor.list", nil)
	var te *command.TimeoutError
	if !errors.Is(err, command.ErrTimeout) || !errors.As(err, &te) || te.Attempts != 2 || te.TID == "" || te.Device != "nobody" {
		t.Fatalf("err = %v (%+v), want a TimeoutError after 2 attempts", err, te)
	}
	reqs := b.messages("nobody/request/sensor/list")
	if len(reqs) != 2 || reqTID(t, reqs[0].payload) != te.TID || reqTID(t, reqs[1].payload) != te.TID {
		t.Fatalf("requests %+v: want 2 with tid %s", reqs, te.TID)
	}

	// The caller's deadline ends the call early, typed the same way.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	inv2 := fastInvoker(t, app, command.InvokerConfig{AttemptTimeout: time.Second})
	start := time.Now()
	_, err = inv2.Invoke(ctx, "nobody", "sensor.list", nil)
	if !errors.Is(err, command.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("err = %v after %v, want ErrTimeout and DeadlineExceeded quickly", err, time.Since(start))
	}

	// A cancelled ctx is not a timeout.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if _, err = inv2.Invoke(ctx, "nobody", "sensor.list", nil); !errors.Is(err, context.Canceled) || errors.Is(err, command.ErrTimeout) {
		t.Fatalf("cancelled: err = %v", err)
	}

	// Retrying later with the TID of the timed-out call is allowed.
	_, err = inv.Invoke(t.Context(), "nobody", "sensor.list", nil, command.WithTID(te.TID))
	if !errors.As(err, &te) || te.TID != reqTID(t, b.messages("nobody/request/sensor/list")[0].payload) {
		t.Fatalf("retry with WithTID: %v", err)
	}
}

func reqTID(t *testing.T, payload string) string {
	t.Helper()
	req, err := command.DecodeRequest([]byte(payload), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req.TID
}

func TestInvokeRetriesBusyWithTheSameTID(t *testing.T) {
	b := newBus(t)
	var calls atomic.Int64
	release := make(chan struct{})
	r := command.NewRouter()
	r.HandleFunc("block", func(ctx context.Context, req *command.Request) command.Response {
		<-release
		return command.Response{Status: 204}
	})
	r.HandleFunc("count", func(ctx context.Context, req *command.Request) command.Response {
		calls.Add(1)
		return command.Response{Status: 204}
	})
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-7"), r, command.WithMaxConcurrent(1))
	app := newFakeTransport(t, b, transport.CloudAWS, "app")
	inv := fastInvoker(t, app, command.InvokerConfig{AttemptTimeout: time.Second, Attempts: 20})

	blocked := make(chan error, 1)
	go func() { _, err := inv.Invoke(context.Background(), "gw-7", "block", nil); blocked <- err }()
	waitFor(t, func() bool { return len(b.messages("gw-7/request/block")) == 1 })
	time.Sleep(10 * time.Millisecond)
	go func() {
		// Release "block" once "count" was answered 503 twice.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if len(b.messages("gw-7/response/count")) >= 2 {
				break
			}
		}
		close(release)
	}()
	res, err := inv.Invoke(t.Context(), "gw-7", "count", nil)
	if err != nil || res.Status != 204 || res.Attempts < 3 || calls.Load() != 1 {
		t.Fatalf("Invoke = %+v, %v (calls %d); want 204 after >= 3 attempts, 1 call", res, err, calls.Load())
	}
	tids := map[string]bool{}
	for _, m := range b.messages("gw-7/request/count") {
		tids[reqTID(t, m.payload)] = true
	}
	if len(tids) != 1 {
		t.Fatalf("retries used %d TIDs, want 1", len(tids))
	}
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
}

func TestInvokerCloseFailsPendingCalls(t *testing.T) {
	leakcheck.Check(t)
	b := newBus(t)
	app := newFakeTransport(t, b, transport.CloudAWS, "app")
	inv := command.NewInvoker(app, command.InvokerConfig{AttemptTimeout: time.Minute})
	errc := make(chan error, 1)
	go func() { _, err := inv.Invoke(context.Background(), "nobody", "x", nil); errc <- err }()
	waitFor(t, func() bool { return len(b.messages("nobody/request/x")) == 1 })
	if err := inv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, command.ErrInvokerClosed) {
		t.Fatalf("pending Invoke: %v, want ErrInvokerClosed", err)
	}
	if _, ok := b.subscribed(app, "+/response/#"); ok {
		t.Fatal("response subscription left after Close")
	}
	if _, err := inv.Invoke(t.Context(), "nobody", "x", nil); !errors.Is(err, command.ErrInvokerClosed) {
		t.Fatalf("Invoke after Close: %v", err)
	}
	_ = app.Close(t.Context())
	b.close()
}

func TestInvokeIgnoresOtherDevicesAndStrangers(t *testing.T) {
	b := newBus(t)
	app := newFakeTransport(t, b, transport.CloudAWS, "app")
	inv := fastInvoker(t, app, command.InvokerConfig{AttemptTimeout: time.Second, Attempts: 1})
	// An impostor answers for gw-7 on its own topic, then gw-7 answers.
	b.setTap(func(from *fakeTransport, topic string, payload []byte) {
		if !strings.HasPrefix(topic, "gw-7/request/") {
			return
		}
		tid := reqTID(t, string(payload))
		go func() {
			b.publish(nil, nil, "other/response/sensor/list", []byte(`{"tid":"`+tid+`","status":500}`), 1)
			b.publish(nil, nil, "gw-7/response/sensor/list", []byte(`garbage`), 1)
			b.publish(nil, nil, "gw-7/response/sensor/list", []byte(`{"tid":"`+tid+`","status":200,"payload":1}`), 1)
		}()
	})
	res, err := inv.Invoke(t.Context(), "gw-7", "sensor.list", nil)
	if err != nil || res.Status != 200 || string(res.Payload) != "1" {
		t.Fatalf("Invoke = %+v, %v", res, err)
	}
}
