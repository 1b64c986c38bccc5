package command_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/methodsvc"
	"github.com/tether-iot/tether/transport"
)

// azureHub emulates IoT Hub's direct-method service on a bus, with
// methodsvc, the way the Azure emulator plugs it in.
func azureHub(t *testing.T, b *bus, devices ...*fakeTransport) *methodsvc.Service {
	byID := map[string]*fakeTransport{}
	for _, d := range devices {
		byID[d.info.DeviceID] = d
	}
	svc, err := methodsvc.New(methodsvc.Config{
		IsSubscribed: func(id string) bool {
			d := byID[id]
			if d == nil {
				return false
			}
			_, ok := b.subscribed(d, methodsvc.RequestFilter)
			return ok
		},
		PublishTo: func(id, topic string, payload []byte) error {
			b.publish(nil, byID[id], topic, payload, 0)
			return nil
		},
		MinTimeout: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.setTap(func(from *fakeTransport, topic string, payload []byte) {
		svc.HandleDevicePublish(from.info.DeviceID, topic, payload)
	})
	return svc
}

func TestDeviceAzureDirectMethods(t *testing.T) {
	b := newBus(t)
	r, effects := testRouter(nil)
	dev := newFakeTransport(t, b, transport.CloudAzure, "dev1")
	hub := azureHub(t, b, dev)
	mustDevice(t, dev, r, command.WithTimeout(300*time.Millisecond))

	if qos, ok := b.subscribed(dev, command.AzureMethodFilter); !ok || qos != 0 {
		t.Fatalf("subscription to %s: ok %v QoS %d, want QoS 0", command.AzureMethodFilter, ok, qos)
	}
	ctx := t.Context()
	tests := []struct {
		name, method, payload string
		timeout               time.Duration
		wantStatus            int
		wantPayload           string // exact, or a substring after "~"
	}{
		{"ok", "sensor.list", "", time.Second, 200, `["temp","humidity"]`},
		{"bare payload echoed", "echo", `{"bus":1}`, time.Second, 200, `{"bus":1}`},
		{"envelope payload", "echo", `{"tid":"e1","payload":{"bus":2}}`, time.Second, 200, `{"bus":2}`},
		{"204 has no body", "relay.set", "", time.Second, 204, ``},
		{"unknown method 404", "fan.set", "", time.Second, 404, `~unknown method`},
		{"envelope method mismatch 400", "echo", `{"tid":"e2","method":"relay.set"}`, time.Second, 400, `~does not match`},
		{"panic 500", "crash", "", time.Second, 500, `~panicked`},
		{"device deadline 504", "hang", `{"tid":"e3","timeoutMs":20}`, time.Second, 504, `~deadline`},
		{"hub timeout 504", "hang", "", 30 * time.Millisecond, 504, `~504101`},
		{"too large 500", "big", "", time.Second, 500, `~too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, payload, err := hub.InvokeMethod(ctx, "dev1", tt.method, []byte(tt.payload), tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			got := string(payload)
			match := got == tt.wantPayload
			if sub, ok := strings.CutPrefix(tt.wantPayload, "~"); ok {
				match = strings.Contains(got, sub)
			}
			if status != tt.wantStatus || !match {
				t.Fatalf("InvokeMethod = %d %s, want %d %s", status, got, tt.wantStatus, tt.wantPayload)
			}
		})
	}

	// The responses travel at QoS 0 on the $rid's response topic.
	for _, m := range b.messages("$iothub/methods/res/#") {
		if m.qos != command.AzureResponseQoS {
			t.Fatalf("response %s at QoS %d, want %d", m.topic, m.qos, command.AzureResponseQoS)
		}
	}

	t.Run("envelope TID deduplicates", func(t *testing.T) {
		before := effects.Load()
		for range 2 {
			status, _, err := hub.InvokeMethod(ctx, "dev1", "relay.set", []byte(`{"tid":"same","sender":"svc"}`), time.Second)
			if err != nil || status != 204 {
				t.Fatalf("InvokeMethod = %d, %v", status, err)
			}
		}
		if n := effects.Load() - before; n != 1 {
			t.Fatalf("handler ran %d times for one TID, want 1", n)
		}
	})
	t.Run("bare payloads are not deduplicated", func(t *testing.T) {
		before := effects.Load()
		for range 2 {
			if status, _, err := hub.InvokeMethod(ctx, "dev1", "relay.set", nil, time.Second); err != nil || status != 204 {
				t.Fatalf("InvokeMethod = %d, %v", status, err)
			}
		}
		if n := effects.Load() - before; n != 2 {
			t.Fatalf("handler ran %d times, want 2", n)
		}
	})
	t.Run("malformed topic with $rid is answered 400", func(t *testing.T) {
		b.publish(nil, dev, "$iothub/methods/POST//?$rid=99", nil, 0)
		waitFor(t, func() bool { return len(b.messages("$iothub/methods/res/400/?$rid=99")) == 1 })
	})
}

func TestAzureHubAnswers404WhenDeviceNotSubscribed(t *testing.T) {
	b := newBus(t)
	dev := newFakeTransport(t, b, transport.CloudAzure, "dev1")
	hub := azureHub(t, b, dev)
	status, payload, err := hub.InvokeMethod(t.Context(), "dev1", "sensor.list", nil, time.Second)
	var body struct{ ErrorCode int }
	_ = json.Unmarshal(payload, &body)
	if err != nil || status != 404 || body.ErrorCode != methodsvc.ErrorCodeDeviceNotOnline {
		t.Fatalf("InvokeMethod = %d %s %v, want 404 404103", status, payload, err)
	}

	// Subscribed, then shut down: not online for methods any more.
	r, _ := testRouter(nil)
	d := mustDevice(t, dev, r)
	if status, _, _ := hub.InvokeMethod(t.Context(), "dev1", "sensor.list", nil, time.Second); status != 200 {
		t.Fatalf("status %d, want 200", status)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := hub.InvokeMethod(t.Context(), "dev1", "sensor.list", nil, time.Second); status != 404 {
		t.Fatalf("after Shutdown: status %d, want 404", status)
	}
}
