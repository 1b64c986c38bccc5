package azureiottest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

func TestInvokeMethod(t *testing.T) {
	h := azureiottest.New(t, azureiottest.WithMinMethodTimeout(10*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dev := connectDevice(t, ctx, h, "dev1")
	idle := connectDevice(t, ctx, h, "idle")
	_ = idle

	// The device answers "echo" with its payload and status 201, and
	// leaves "ignore" unanswered.
	err := dev.SubscribeRaw(ctx, "$iothub/methods/POST/#", 0, func(ctx context.Context, m transport.Message) {
		if !strings.HasPrefix(m.Topic, "$iothub/methods/POST/echo/") {
			return
		}
		rid := m.Topic[strings.Index(m.Topic, "$rid=")+len("$rid="):]
		if err := dev.PublishRaw(ctx, "$iothub/methods/res/201/?$rid="+rid, m.Payload, 0); err != nil {
			t.Errorf("answer: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	status, body, err := h.InvokeMethod(ctx, "dev1", "echo", []byte(`{"x":1}`), time.Second)
	if err != nil || status != 201 || !bytes.Equal(body, []byte(`{"x":1}`)) {
		t.Fatalf("echo = %d %s %v, want 201 {\"x\":1}", status, body, err)
	}
	if status, _, err := h.InvokeMethod(ctx, "dev1", "ignore", nil, 50*time.Millisecond); err != nil || status != 504 {
		t.Fatalf("unanswered method = %d %v, want 504", status, err)
	}
	if status, _, err := h.InvokeMethod(ctx, "idle", "echo", nil, time.Second); err != nil || status != 404 {
		t.Fatalf("device not subscribed to methods = %d %v, want 404", status, err)
	}
	if status, _, err := h.InvokeMethod(ctx, "nobody", "echo", nil, time.Second); err != nil || status != 404 {
		t.Fatalf("unknown device = %d %v, want 404", status, err)
	}
}

func TestInvokeMethodHubMinimumTimeout(t *testing.T) {
	h := azureiottest.New(t)
	status, _, err := h.InvokeMethod(context.Background(), "dev1", "echo", nil, time.Second)
	if err != nil || status != 400 {
		t.Fatalf("timeout below the hub's 5 s minimum = %d %v, want 400", status, err)
	}
}

func connectDevice(t *testing.T, ctx context.Context, h *azureiottest.Hub, id string) *transport.Conn {
	t.Helper()
	c, err := azureiot.New(h.AddDevice(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
