// Command quickstart is a tour of tether that needs no cloud account: it
// starts in-process emulators and runs each layer of the SDK against them,
// printing what happens. It exits 0 when every step worked.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// tourTimeout bounds the whole tour: every step runs on loopback.
const tourTimeout = 30 * time.Second

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), tourTimeout)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

// step is one section of the tour.
type step struct {
	title string
	run   func(ctx context.Context, out io.Writer) error
}

func run(ctx context.Context, out io.Writer) error {
	emu, err := startEmulators()
	if err != nil {
		return err
	}
	defer emu.Close()
	steps := []step{
		{"MQTT: two clients on an in-process broker", mqttRoundTrip},
		{"one firmware, every cloud: canonical topics in, each cloud's topics out", oneFirmwareTwoClouds(emu.clouds())},
		{"one thermostat, both clouds: state.Syncer over the Device Shadow and the device twin", oneThermostatTwoClouds(emu.clouds())},
		{"one command handler, both clouds: MQTT request/response on AWS, direct methods on Azure", commandsOnBothClouds(emu)},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "\n== %d. %s\n", i+1, s.title)
		start := time.Now()
		if err := s.run(ctx, out); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
		fmt.Fprintf(out, "   ok (%v)\n", time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintln(out, "\nquickstart: every step worked")
	return nil
}
