package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	thermostat "github.com/tether-iot/tether/examples/thermostat/firmware"
)

// thermostatTick makes the simulated room move fast enough for the tour.
const thermostatTick = 10 * time.Millisecond

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
func oneThermostatTwoClouds(clouds []emulatedCloud) func(ctx context.Context, out io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		for _, cloud := range clouds {
			if err := runThermostat(ctx, cloud, out); err != nil {
				return fmt.Errorf("%s: %w", cloud.name, err)
			}
		}
		return nil
	}
}

func runThermostat(ctx context.Context, cloud emulatedCloud, out io.Writer) error {
	dev, err := cloud.connectSynced(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer dev.Close(context.Background())
	tr, syncer := dev.Transport, dev.Syncer
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
