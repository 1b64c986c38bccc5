//go:build !tether_noemulator

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/stateconn"
	"github.com/tether-iot/tether/internal/methodsvc"
	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/transport/mqtt"
)

// The emulators are test code: a device built for production leaves them
// out with -tags tether_noemulator (emulate_stub.go), as the binary-size
// budget does.

// emulatedInterval is the telemetry interval the emulated cloud asks for.
const emulatedInterval = 200 * time.Millisecond

// cloudSide is what the scenario does as the cloud.
type cloudSide struct {
	name string
	// connect connects the device to the emulator.
	connect func(ctx context.Context) (*stateconn.Device, error)
	// invoke calls a command on the device as an application does.
	invoke func(ctx context.Context, method string) (status int, payload []byte, err error)
	// setDesired changes the desired state from the cloud side.
	setDesired func(desired map[string]any) error
	// reported returns the reported state the cloud holds.
	reported func() map[string]any
	// telemetry counts the telemetry messages the cloud received.
	telemetry func() int
	close     func()
}

// emulate starts cfg.cloud's emulator, runs the device against it and
// plays the cloud: a command, a desired interval, telemetry.
func emulate(ctx context.Context, cfg config, out io.Writer) error {
	var cloud *cloudSide
	var err error
	switch cfg.cloud {
	case "aws":
		cloud, err = emulateAWS(ctx, cfg.conn.Thing)
	case "azure":
		cloud, err = emulateAzure(cfg.conn.Thing)
	default:
		err = fmt.Errorf("unknown cloud %q", cfg.cloud)
	}
	if err != nil {
		return err
	}
	defer cloud.close()
	fmt.Fprintf(out, "cloud: %s emulator started\n", cloud.name)

	conn, err := cloud.connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runFirmware(fctx, conn, cfg.interval, out) }()
	err = scenario(ctx, cloud, out)
	stop()
	if ferr := <-done; ferr != nil && !errors.Is(ferr, context.Canceled) {
		err = errors.Join(err, fmt.Errorf("firmware: %w", ferr))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "cloud: every step worked")
	return nil
}

func scenario(ctx context.Context, cloud *cloudSide, out io.Writer) error {
	if err := waitFor(ctx, "the device's first report", func() bool { return cloud.reported()["firmware"] == firmwareVersion }); err != nil {
		return err
	}
	if err := waitFor(ctx, "the first telemetry", func() bool { return cloud.telemetry() >= 1 }); err != nil {
		return err
	}
	status, payload, err := cloud.invoke(ctx, "sensor.read")
	if err != nil {
		return fmt.Errorf("invoking sensor.read: %w", err)
	}
	fmt.Fprintf(out, "cloud: sensor.read answered %d\n", status)
	if status != command.StatusOK || len(payload) == 0 {
		return fmt.Errorf("sensor.read answered %d %s", status, payload)
	}

	want := emulatedInterval.Milliseconds()
	if err := cloud.setDesired(map[string]any{intervalKey: want}); err != nil {
		return fmt.Errorf("setting the desired state: %w", err)
	}
	err = waitFor(ctx, "the reported interval", func() bool {
		ms, ok := number(cloud.reported()[intervalKey])
		return ok && ms == want
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cloud: the device reports %s=%d\n", intervalKey, want)

	n := cloud.telemetry()
	if err := waitFor(ctx, "telemetry at the new interval", func() bool { return cloud.telemetry() >= n+2 }); err != nil {
		return err
	}
	fmt.Fprintf(out, "cloud: telemetry keeps coming (%d messages)\n", cloud.telemetry())
	return nil
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func emulateAWS(ctx context.Context, thing string) (*cloudSide, error) {
	emu, err := awsiottest.Start()
	if err != nil {
		return nil, err
	}
	// The application's side: an Invoker on the emulator's message broker.
	app, err := mqtt.New(mqtt.Config{Server: emu.Broker().URL(), DeviceID: "console"})
	if err == nil {
		err = app.Connect(ctx)
	}
	if err != nil {
		_ = emu.Close()
		return nil, fmt.Errorf("application connection: %w", err)
	}
	inv := command.NewInvoker(app, command.InvokerConfig{Sender: "console"})
	return &cloudSide{
		name: "AWS IoT Core",
		connect: func(ctx context.Context) (*stateconn.Device, error) {
			return stateconn.AWS(ctx, emu.DeviceConfig(thing))
		},
		invoke: func(ctx context.Context, method string) (int, []byte, error) {
			r, err := inv.Invoke(ctx, thing, method, nil)
			if r == nil {
				return 0, nil, err
			}
			return r.Status, r.Payload, err
		},
		setDesired: func(desired map[string]any) error { return emu.SetDesired(thing, "", desired) },
		reported: func() map[string]any {
			doc, _ := emu.ShadowDocument(thing, "")
			return doc.State.Reported
		},
		telemetry: func() int {
			n := 0
			for _, m := range emu.Received(thing) {
				if m.Topic == thing+"/"+telemetryTopic {
					n++
				}
			}
			return n
		},
		close: func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			_ = inv.Close(ctx)
			_ = app.Close(ctx)
			_ = emu.Close()
		},
	}, nil
}

func emulateAzure(device string) (*cloudSide, error) {
	hub, err := azureiottest.Start()
	if err != nil {
		return nil, err
	}
	twins := twinsvc.New()
	deliver := func(clientID string, pubs []twinsvc.Publish) {
		for _, p := range pubs {
			// Not subscribed yet: the twin client's GET after subscribing
			// picks the change up.
			_ = hub.Deliver(clientID, p.Topic, p.Payload, 0)
		}
	}
	hub.Handle("$iothub/twin/", func(r azureiottest.Request) {
		deliver(r.ClientID, twins.HandlePublish(r.DeviceID, r.Topic, r.Payload))
	})
	methods, err := methodsvc.New(methodsvc.Config{
		IsSubscribed: func(id string) bool { return hub.Subscribed(id, methodsvc.RequestTopic("x", "1")) },
		PublishTo:    func(id, topic string, payload []byte) error { return hub.Deliver(id, topic, payload, 0) },
	})
	if err != nil {
		_ = hub.Close()
		return nil, err
	}
	hub.Handle("$iothub/methods/res/", func(r azureiottest.Request) {
		methods.HandleDevicePublish(r.DeviceID, r.Topic, r.Payload)
	})
	cfg := hub.AddDevice(device)
	return &cloudSide{
		name:    "Azure IoT Hub",
		connect: func(ctx context.Context) (*stateconn.Device, error) { return stateconn.Azure(ctx, cfg) },
		invoke: func(ctx context.Context, method string) (int, []byte, error) {
			return methods.InvokeMethod(ctx, device, method, nil, methodsvc.MinTimeout)
		},
		setDesired: func(desired map[string]any) error {
			_, pubs, err := twins.UpdateDesired(device, desired)
			deliver(device, pubs)
			return err
		},
		reported: func() map[string]any {
			tw, _ := twins.Twin(device)
			return tw.Reported.Values
		},
		telemetry: func() int {
			n := 0
			for _, m := range hub.D2C(device) {
				if m.Topic == telemetryTopic {
					n++
				}
			}
			return n
		},
		close: func() { _ = hub.Close() },
	}, nil
}
