package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

func connectT(t *testing.T, tr transport.Transport) transport.Transport {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	return tr
}

// A device on the AWS adapter and emulator, invoked by an application that
// is another thing: the adapter's limits apply to the responses.
func TestOverAWSEmulator(t *testing.T) {
	leakcheck.Check(t)
	e := awsiottest.New(t)
	newConn := func(thing string) transport.Transport {
		c, err := awsiot.New(e.DeviceConfig(thing))
		if err != nil {
			t.Fatal(err)
		}
		return connectT(t, c)
	}
	devT, appT := newConn("gw-7"), newConn("fleet-tool")
	r, effects := testRouter(nil)
	ctx := t.Context()
	dev, err := command.NewDevice(ctx, devT, r, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	inv := command.NewInvoker(appT, command.InvokerConfig{AttemptTimeout: 2 * time.Second})

	if res, err := inv.Invoke(ctx, "gw-7", "relay.set", nil); err != nil || res.Status != 204 || effects.Load() != 1 {
		t.Fatalf("Invoke = %+v, %v", res, err)
	}
	// 200 KiB is over AWS IoT Core's 128 KiB: answered 500, not dropped.
	res, err := inv.Invoke(ctx, "gw-7", "big", nil)
	var se *command.StatusError
	if !errors.As(err, &se) || res.Status != 500 || !strings.Contains(se.Message, "too large") {
		t.Fatalf("big response: %+v, %v", res, err)
	}
	if err := dev.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []transport.Transport{devT, appT} {
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// Direct methods invoked through the Azure emulator's InvokeMethod on a
// device served on the Azure adapter.
func TestOverAzureEmulator(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t, azureiottest.WithMinMethodTimeout(time.Millisecond))

	ctx := t.Context()
	newConn := func(id string) transport.Transport {
		c, err := azureiot.New(h.AddDevice(id))
		if err != nil {
			t.Fatal(err)
		}
		return connectT(t, c)
	}
	devT, idleT := newConn("dev1"), newConn("dev2")
	r, effects := testRouter(nil)
	dev, err := command.NewDevice(ctx, devT, r, quietLog())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		device, method, payload string
		status                  int
		inBody                  string
	}{
		{"dev1", "sensor.list", "", 200, `["temp","humidity"]`},
		{"dev1", "relay.set", `{"tid":"t1","sender":"svc"}`, 204, ""},
		{"dev1", "relay.set", `{"tid":"t1","sender":"svc"}`, 204, ""},
		{"dev1", "fan.set", "", 404, "unknown method"},
		{"dev1", "crash", "", 500, "panicked"},
		{"dev1", "big", "", 500, "too large"},
		{"dev2", "sensor.list", "", 404, "404103"}, // connected, not subscribed to methods
	}
	for _, tt := range tests {
		status, body, err := h.InvokeMethod(ctx, tt.device, tt.method, []byte(tt.payload), 5*time.Second)
		if err != nil || status != tt.status || !strings.Contains(string(body), tt.inBody) {
			t.Fatalf("%s %s: %d %s %v; want %d containing %q", tt.device, tt.method, status, body, err, tt.status, tt.inBody)
		}
	}
	if n := effects.Load(); n != 1 {
		t.Fatalf("relay.set ran %d times for one TID, want 1", n)
	}
	if err := dev.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []transport.Transport{devT, idleT} {
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
