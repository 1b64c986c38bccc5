package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	thermostat "github.com/tether-iot/tether/examples/thermostat/firmware"
	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/twin"
)

// thermostatTick makes the simulated room move fast enough for the tour.
const thermostatTick = 10 * time.Millisecond

// syncedCloud is one cloud the thermostat runs on: the device's side (a
// transport and the state.Syncer over it) and the cloud's side.
type syncedCloud struct {
	name string
	// connect returns the device's connected transport and its Syncer,
	// and the function that closes both.
	connect func(ctx context.Context) (transport.Transport, state.Syncer, func(), error)
	// setDesired changes the desired state as a back end does.
	setDesired func(desired map[string]any) error
	// reported is the reported state the cloud stores.
	reported func() map[string]any
	// stored describes what the cloud stores, for the tour's output.
	stored func() string
}

// syncedClouds describes the thermostat's device "thermostat-1" on each
// emulator: the Device Shadow on AWS, the device twin on Azure.
func (e *emulators) syncedClouds() []syncedCloud {
	const thing = "thermostat-1"
	return []syncedCloud{{
		name: "AWS IoT Core",
		connect: func(ctx context.Context) (transport.Transport, state.Syncer, func(), error) {
			tr, err := awsiot.New(e.aws.DeviceConfig(thing))
			if err != nil {
				return nil, nil, nil, err
			}
			if err := tr.Connect(ctx); err != nil {
				return nil, nil, nil, errors.Join(err, tr.Close(ctx))
			}
			sh, err := shadow.New(ctx, tr)
			if err != nil {
				return nil, nil, nil, errors.Join(err, tr.Close(ctx))
			}
			return tr, sh, func() { _ = sh.Close(context.Background()); _ = tr.Close(context.Background()) }, nil
		},
		setDesired: func(desired map[string]any) error { return e.aws.SetDesired(thing, "", desired) },
		reported: func() map[string]any {
			doc, _ := e.aws.ShadowDocument(thing, "")
			return doc.State.Reported
		},
		stored: func() string {
			doc, _ := e.aws.ShadowDocument(thing, "")
			return "the shadow " + toJSON(map[string]any{"state": doc.State, "version": doc.Version})
		},
	}, {
		name: "Azure IoT Hub",
		connect: func(ctx context.Context) (transport.Transport, state.Syncer, func(), error) {
			tr, err := azureiot.New(e.azure.AddDevice(thing))
			if err != nil {
				return nil, nil, nil, err
			}
			if err := tr.Connect(ctx); err != nil {
				return nil, nil, nil, errors.Join(err, tr.Close(ctx))
			}
			tw, err := twin.New(tr)
			if err != nil {
				return nil, nil, nil, errors.Join(err, tr.Close(ctx))
			}
			return tr, tw, func() { _ = tw.Close(); _ = tr.Close(context.Background()) }, nil
		},
		setDesired: func(desired map[string]any) error {
			_, err := e.azure.UpdateDesired(thing, desired)
			return err
		},
		reported: func() map[string]any {
			tw, _ := e.azure.Twin(thing)
			return tw.Reported.Values
		},
		stored: func() string {
			tw, _ := e.azure.Twin(thing)
			return fmt.Sprintf("the twin's reported properties %s ($version %d)", toJSON(tw.Reported.Values), tw.Reported.Version)
		},
	}}
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// oneThermostatTwoClouds runs the thermostat firmware, written only
// against state.Syncer, on each emulated cloud: the cloud asks for 22.5 °C
// and the tour shows the change arriving and the state the cloud stores
// once the room is there.
func oneThermostatTwoClouds(clouds []syncedCloud) func(ctx context.Context, out io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		for _, cloud := range clouds {
			if err := runThermostat(ctx, cloud, out); err != nil {
				return fmt.Errorf("%s: %w", cloud.name, err)
			}
		}
		return nil
	}
}

func runThermostat(ctx context.Context, cloud syncedCloud, out io.Writer) error {
	tr, syncer, closeDevice, err := cloud.connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer closeDevice()
	fmt.Fprintf(out, "   %s: the thermostat runs on a %T\n", cloud.name, syncer)

	type change struct {
		setpoint float64
		version  int64
	}
	changes := make(chan change, 4)
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- thermostat.Run(fctx, syncer, thermostat.Config{
			Tick:       thermostatTick,
			Telemetry:  tr,
			OnSetpoint: func(sp float64, v int64) { changes <- change{sp, v} },
		})
	}()
	defer func() { stop(); <-done }()

	if err := cloud.setDesired(map[string]any{thermostat.SetpointKey: 22.5}); err != nil {
		return fmt.Errorf("setting the desired setpoint: %w", err)
	}
	fmt.Fprintf(out, "   %s: the cloud sets the desired setpoint to 22.5\n", cloud.name)
	select {
	case c := <-changes:
		fmt.Fprintf(out, "   %s: the firmware got desired setpoint %v (version %d)\n", cloud.name, c.setpoint, c.version)
	case <-ctx.Done():
		return fmt.Errorf("the desired setpoint never arrived: %w", ctx.Err())
	}
	for {
		r := cloud.reported()
		if fmt.Sprint(r[thermostat.SetpointKey]) == "22.5" && fmt.Sprint(r[thermostat.TemperatureKey]) == "22.5" {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the cloud never stored setpoint and temperature 22.5 (it has %s): %w", toJSON(r), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "   %s stores %s\n", cloud.name, cloud.stored())
	return nil
}
