package benchmark_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/benchmark/rawpaho"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/mqtt"
)

// commandPayload is the request payload; the device echoes it.
var commandPayload = json.RawMessage(`{"bus":1,"sensors":[12,13,14]}`)

// commandWarmup is how many round trips BenchmarkCommandRoundTrip makes
// before its clock starts; see publishWarmup.
const commandWarmup = 200

// caller invokes the echo command on device "bench-dev" once.
type caller func(ctx context.Context) error

// BenchmarkCommandRoundTrip measures one command from the application to
// the device and back (request published, handled, response received), on
// the in-process broker: tether's command.Invoker and command.Device, each
// over a transport.Conn with the plain MQTT adapter, against the same
// envelopes exchanged with raw paho.
func BenchmarkCommandRoundTrip(b *testing.B) {
	type client struct {
		name  string
		setup func(b *testing.B, ctx context.Context, url string) caller
	}
	for _, client := range clientOrder([]client{
		{"tether", setupTetherCommand},
		{"paho", setupPahoCommand},
	}) {
		b.Run("client="+client.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			broker := mqttxtest.NewBroker(b, mqttxtest.WithReceivedLimit(0)) // as in startBroker
			call := client.setup(b, ctx, broker.URL())
			for i := 0; i < commandWarmup; i++ { // untimed, as publishWarmup
				if err := call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPUClock()
			for i := 0; i < b.N; i++ {
				if err := call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu.report(b)
		})
	}
}

func echo(_ context.Context, req *command.Request) command.Response {
	return command.Response{Status: command.StatusOK, Payload: req.Payload}
}

func setupTetherCommand(b *testing.B, ctx context.Context, url string) caller {
	closeCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 10*time.Second)
	}
	devConn, err := mqtt.New(mqtt.Config{Server: url, DeviceID: "bench-dev"})
	if err != nil {
		b.Fatal(err)
	}
	if err := devConn.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := closeCtx()
		defer cancel()
		_ = devConn.Close(ctx)
	})
	dev, err := command.NewDevice(ctx, devConn, command.HandlerFunc(echo))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := closeCtx()
		defer cancel()
		_ = dev.Shutdown(ctx)
	})

	appConn, err := mqtt.New(mqtt.Config{Server: url, DeviceID: "bench-app"})
	if err != nil {
		b.Fatal(err)
	}
	if err := appConn.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := closeCtx()
		defer cancel()
		_ = appConn.Close(ctx)
	})
	inv := command.NewInvoker(appConn, command.InvokerConfig{Sender: "bench-app"})
	b.Cleanup(func() {
		ctx, cancel := closeCtx()
		defer cancel()
		_ = inv.Close(ctx)
	})
	return func(ctx context.Context) error {
		_, err := inv.Invoke(ctx, "bench-dev", "sensor.read", commandPayload)
		return err
	}
}

func setupPahoCommand(b *testing.B, ctx context.Context, url string) caller {
	dev, err := rawpaho.Connect(ctx, rawpaho.Config{Server: url, ClientID: "bench-dev"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(dev.Close)
	h := func(_ string, payload json.RawMessage) (int, json.RawMessage) { return command.StatusOK, payload }
	if err := rawpaho.Serve(ctx, dev, "bench-dev", h); err != nil {
		b.Fatal(err)
	}
	app, err := rawpaho.Connect(ctx, rawpaho.Config{Server: url, ClientID: "bench-app"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(app.Close)
	req, err := rawpaho.NewRequester(ctx, app, "bench-app")
	if err != nil {
		b.Fatal(err)
	}
	return func(ctx context.Context) error {
		_, _, err := req.Call(ctx, "bench-dev", "sensor.read", commandPayload)
		return err
	}
}
