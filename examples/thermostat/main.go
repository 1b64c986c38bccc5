// Command thermostat runs the cloud-neutral thermostat firmware
// (examples/thermostat/firmware) on AWS IoT Core or Azure IoT Hub, or on
// both in-process emulators:
//
//	thermostat -cloud aws -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -thing thermostat-1 \
//	           -cert thermostat-1.pem -key thermostat-1.key [-ca AmazonRootCA1.pem]
//	thermostat -cloud azure -connection-string "HostName=...;DeviceId=thermostat-1;SharedAccessKey=..."
//	thermostat -emulate            # both emulated clouds, no account needed
//
// The firmware sees only a state.Syncer: the Device Shadow (shadow.Client)
// on AWS, the device twin (twin.Client) on Azure; connect.go alone knows
// which. Set the desired property "setpoint" (°C) in the shadow or the
// twin and watch the device report it and the room's temperature follow.
//
// With -emulate the program also plays the cloud (emulate.go): on each
// cloud it sets the setpoint to 22.5, waits until the device reports it
// and the room is there, changes it while the device is offline, and
// checks that the device applies it after reconnecting; then it exits 0.
//
// The connection string may come from $TETHER_AZURE_CONNECTION_STRING
// instead of the command line, which other users of the machine can read.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-iot/tether/examples/internal/stateconn"
	"github.com/tether-iot/tether/examples/thermostat/firmware"
)

// Defaults of the flags.
const (
	DefaultThing = "thermostat-1"
	// emulateTimeout bounds the whole -emulate scenario (loopback only).
	emulateTimeout = 30 * time.Second
	// shutdownTimeout bounds closing the connection.
	shutdownTimeout = 5 * time.Second
)

// config is what the flags select.
type config struct {
	cloud   string // "aws" or "azure"; with emulate, "" is both
	emulate bool
	tick    time.Duration

	conn stateconn.Settings
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "thermostat:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (config, error) {
	fs := flag.NewFlagSet("thermostat", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var cfg config
	fs.StringVar(&cfg.cloud, "cloud", "", "cloud to connect to: aws or azure (with -emulate: default both)")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run on the in-process emulators and play the cloud's side")
	fs.DurationVar(&cfg.tick, "tick", firmware.DefaultTick, "how often the simulated temperature moves")
	cfg.conn.RegisterFlags(fs, DefaultThing)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg.conn.ReadEnv()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(errOut, "thermostat:", err)
		fs.Usage()
		return config{}, err
	}
	return cfg, nil
}

func (c config) check() error {
	switch {
	case c.tick <= 0:
		return errors.New("-tick must be positive")
	case c.emulate && (c.cloud == "" || c.cloud == "aws" || c.cloud == "azure"):
		return nil
	case c.cloud != "aws" && c.cloud != "azure":
		return errors.New("-cloud must be aws or azure")
	}
	return c.conn.Check(c.cloud)
}

// run runs the thermostat on cfg's cloud until ctx ends; with cfg.emulate
// it runs the emulated scenario instead.
func run(ctx context.Context, cfg config, out io.Writer) error {
	if cfg.emulate {
		ctx, cancel := context.WithTimeout(ctx, emulateTimeout)
		defer cancel()
		return emulate(ctx, cfg, out)
	}
	dev, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = dev.Close(cctx)
	}()
	fmt.Fprintf(out, "thermostat: connected to %s; set the desired %q to change the temperature\n", dev.Cloud, firmware.SetpointKey)
	err = firmware.Run(ctx, dev.Syncer, firmware.Config{
		Tick:      cfg.tick,
		Telemetry: dev.Transport,
		OnSetpoint: func(sp float64, v int64) {
			fmt.Fprintf(out, "thermostat: setpoint %v °C (desired version %d)\n", sp, v)
		},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: a clean stop
	}
	return err
}
