// Command device is a small but complete tether device: it connects to
// AWS IoT Core or Azure IoT Hub, serves commands, keeps its state in the
// Device Shadow (AWS) or device twin (Azure) and sends telemetry.
//
//	device -cloud aws -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -thing thermostat-1 \
//	       -cert thermostat-1.pem -key thermostat-1.key
//	device -cloud azure -connection-string "HostName=...;DeviceId=thermostat-1;SharedAccessKey=..."
//	device -cloud aws -emulate     # against the in-process AWS emulator, no account needed
//	device -cloud azure -emulate   # against the in-process IoT Hub emulator
//
// The firmware (firmware.go) is written once against transport.Transport,
// command and state.Syncer; only connect.go knows which cloud it is on.
// With -emulate the program also plays the cloud (emulate.go): it invokes
// a command, changes the desired telemetry interval, checks that the
// device reported it and that telemetry keeps coming, then exits 0.
//
// It is also the program whose stripped linux/arm size tether's binary
// budget holds (go run ./internal/benchmark/cmd/benchtable).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-iot/tether/examples/internal/stateconn"
)

// Defaults of the flags.
const (
	DefaultInterval = 10 * time.Second
	DefaultThing    = "thermostat-1"
	// emulateTimeout bounds the whole -emulate scenario (loopback only).
	emulateTimeout = 30 * time.Second
)

// config is what the flags select.
type config struct {
	cloud    string // "aws" or "azure"
	emulate  bool
	interval time.Duration
	duration time.Duration // 0: until interrupted

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
		fmt.Fprintln(os.Stderr, "device:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (config, error) {
	fs := flag.NewFlagSet("device", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var cfg config
	fs.StringVar(&cfg.cloud, "cloud", "", "cloud to connect to: aws or azure (required)")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run against the in-process emulator of the cloud and play the cloud's side")
	fs.DurationVar(&cfg.interval, "interval", DefaultInterval, "telemetry interval until the desired state sets one")
	fs.DurationVar(&cfg.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	cfg.conn.RegisterFlags(fs, DefaultThing)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg.conn.ReadEnv()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(errOut, "device:", err)
		fs.Usage()
		return config{}, err
	}
	return cfg, nil
}

func (c config) check() error {
	switch {
	case c.cloud != "aws" && c.cloud != "azure":
		return errors.New("-cloud must be aws or azure")
	case c.interval <= 0:
		return errors.New("-interval must be positive")
	case c.emulate:
		return nil
	}
	return c.conn.Check(c.cloud)
}

// run runs the device until ctx ends or cfg.duration passes; with
// cfg.emulate it runs the emulated scenario instead.
func run(ctx context.Context, cfg config, out io.Writer) error {
	if cfg.emulate {
		ctx, cancel := context.WithTimeout(ctx, emulateTimeout)
		defer cancel()
		return emulate(ctx, cfg, out)
	}
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	err = runFirmware(ctx, conn, cfg.interval, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil // interrupted or -duration passed: a clean stop
	}
	return err
}
