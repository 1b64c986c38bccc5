package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tether-iot/tether/examples/internal/stateconn"
	"github.com/tether-iot/tether/examples/thermostat/firmware"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// emulatedTick is the firmware's tick on the emulators, so the room gets
// to the setpoint in a fraction of a second.
const emulatedTick = 10 * time.Millisecond

// refusedCode is the CONNACK code the emulators answer while a device is
// kept offline: 3, server unavailable.
const refusedCode = 3

// emulatedCloud is an in-process cloud with the thermostat's device
// connected to it, and what the cloud side can do.
type emulatedCloud struct {
	name string
	dev  *stateconn.Device
	// setDesired changes the desired state as a back end does.
	setDesired func(desired map[string]any) error
	// reported returns the reported state the cloud stores.
	reported func() map[string]any
	// document returns the stored state as JSON, for display.
	document func() string
	// offline cuts the device's connection and refuses its reconnects
	// until online.
	offline func()
	online  func()
	close   func()
}

// startAWS starts the AWS IoT Core emulator and connects thing to it, with
// the Device Shadow as its state.Syncer.
func startAWS(ctx context.Context, thing string) (*emulatedCloud, error) {
	emu, err := awsiottest.Start()
	if err != nil {
		return nil, err
	}
	dev, err := stateconn.AWS(ctx, emu.DeviceConfig(thing))
	if err != nil {
		_ = emu.Close()
		return nil, err
	}
	b := emu.Broker()
	return &emulatedCloud{
		name:       dev.Cloud,
		dev:        dev,
		setDesired: func(desired map[string]any) error { return emu.SetDesired(thing, "", desired) },
		reported: func() map[string]any {
			doc, _ := emu.ShadowDocument(thing, "")
			return doc.State.Reported
		},
		document: func() string {
			doc, _ := emu.ShadowDocument(thing, "")
			return show(map[string]any{"version": doc.Version, "state": doc.State})
		},
		offline: func() { b.RefuseConnect(refusedCode, -1); b.Disconnect(thing) },
		online:  func() { b.RefuseConnect(0, 0) },
		close:   func() { closeDevice(dev); _ = emu.Close() },
	}, nil
}

// startAzure starts the Azure IoT Hub emulator and connects deviceID to
// it, with the device twin as its state.Syncer.
func startAzure(ctx context.Context, deviceID string) (*emulatedCloud, error) {
	hub, err := azureiottest.Start()
	if err != nil {
		return nil, err
	}
	cfg := hub.AddDevice(deviceID)
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 250*time.Millisecond
	dev, err := stateconn.Azure(ctx, cfg)
	if err != nil {
		_ = hub.Close()
		return nil, err
	}
	b := hub.Broker()
	return &emulatedCloud{
		name: dev.Cloud,
		dev:  dev,
		setDesired: func(desired map[string]any) error {
			_, err := hub.UpdateDesired(deviceID, desired)
			return err
		},
		reported: func() map[string]any {
			tw, _ := hub.Twin(deviceID)
			return tw.Reported.Values
		},
		document: func() string {
			tw, _ := hub.Twin(deviceID)
			return show(map[string]any{
				"desired":  map[string]any{"$version": tw.Desired.Version, "properties": tw.Desired.Values},
				"reported": map[string]any{"$version": tw.Reported.Version, "properties": tw.Reported.Values},
			})
		},
		offline: func() { b.RefuseConnect(refusedCode, -1); b.Disconnect(deviceID) },
		online:  func() { b.RefuseConnect(0, 0) },
		close:   func() { closeDevice(dev); _ = hub.Close() },
	}, nil
}

func closeDevice(dev *stateconn.Device) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = dev.Close(ctx)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// emulate runs the scenario on each emulated cloud cfg selects.
func emulate(ctx context.Context, cfg config, out io.Writer) error {
	starts := map[string]func(context.Context, string) (*emulatedCloud, error){"aws": startAWS, "azure": startAzure}
	for _, name := range []string{"aws", "azure"} {
		if cfg.cloud != "" && cfg.cloud != name {
			continue
		}
		cloud, err := starts[name](ctx, cfg.conn.Thing)
		if err != nil {
			return fmt.Errorf("%s emulator: %w", name, err)
		}
		err = scenario(ctx, cloud, out)
		cloud.close()
		if err != nil {
			return fmt.Errorf("%s: %w", cloud.name, err)
		}
	}
	fmt.Fprintln(out, "cloud: every step worked")
	return nil
}

// scenario plays the cloud: a setpoint while the device is online, then
// one while it is offline.
func scenario(ctx context.Context, cloud *emulatedCloud, out io.Writer) error {
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- firmware.Run(fctx, cloud.dev.Syncer, firmware.Config{
			Tick:      emulatedTick,
			Telemetry: cloud.dev.Transport,
			OnSetpoint: func(sp float64, v int64) {
				fmt.Fprintf(out, "%s: device applied setpoint %v (desired version %d)\n", cloud.name, sp, v)
			},
		})
	}()
	err := cloudSteps(ctx, cloud, out)
	stop()
	if ferr := <-done; !errors.Is(ferr, context.Canceled) {
		err = errors.Join(err, fmt.Errorf("firmware: %w", ferr))
	}
	return err
}

func cloudSteps(ctx context.Context, cloud *emulatedCloud, out io.Writer) error {
	fmt.Fprintf(out, "%s: cloud sets the desired setpoint to 22.5\n", cloud.name)
	if err := cloud.setDesired(map[string]any{firmware.SetpointKey: 22.5}); err != nil {
		return err
	}
	if err := waitReported(ctx, cloud, "22.5"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: cloud stores %s\n", cloud.name, cloud.document())

	fmt.Fprintf(out, "%s: device offline; cloud sets the setpoint to 19\n", cloud.name)
	cloud.offline()
	if err := cloud.setDesired(map[string]any{firmware.SetpointKey: 19}); err != nil {
		return err
	}
	cloud.online()
	if err := waitReported(ctx, cloud, "19"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: after reconnecting, cloud stores %s\n", cloud.name, cloud.document())
	return nil
}

// waitReported waits until the cloud stores the reported setpoint and
// temperature want (numbers as fmt prints them).
func waitReported(ctx context.Context, cloud *emulatedCloud, want string) error {
	for {
		r := cloud.reported()
		if fmt.Sprint(r[firmware.SetpointKey]) == want && fmt.Sprint(r[firmware.TemperatureKey]) == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the reported setpoint and temperature %s (reported %s): %w", want, show(r), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
