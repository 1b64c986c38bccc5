// Command application is the application side of tether's command
// pattern on AWS IoT Core: it sends a command to a device, or to a group
// of devices, and waits for the answers. Every command carries a
// transaction id (TID); a request that gets no answer is published again
// with the same TID, which the device answers from its memory of completed
// commands instead of running the command twice.
//
// The application connects to AWS IoT Core as a thing of its own, with
// the same connection settings as examples/aws-device:
//
//	application -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -thing app-1 \
//	    -cert app-1.cert.pem -key app-1.private.key \
//	    -device sensor-1 -method sensor.read -payload '{"id":"temp-1"}'
//
//	application ... -group floor-1 -expect sensor-1,sensor-2,sensor-3 -method sensor.list
//
// A command that got no answer in time may or may not have run: the
// application prints its TID, and running it again with -tid is safe.
//
// Without an account, -emulate runs a short scenario against the
// in-process AWS IoT Core emulator with a few emulated devices, one of
// them late and one missing, prints what happens and exits 0:
//
//	application -emulate
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
)

// Defaults of the settings.
const (
	defaultThing   = "app-1"
	defaultMethod  = "sensor.list"
	defaultTimeout = 30 * time.Second
	// emulateTimeout bounds the whole emulated scenario (loopback only).
	emulateTimeout = 30 * time.Second
)

// The settings of the command to send; they have no environment variable.
var (
	setDevice  = cli.Setting{Flag: "device"}
	setGroup   = cli.Setting{Flag: "group"}
	setPayload = cli.Setting{Flag: "payload"}

	settings = awscli.Settings
)

// config is what the flags and the environment select.
type config struct {
	conn              awscli.Connection
	thing             string
	certFile, keyFile string

	device         string
	group          string
	expect         []string // the members of group that should answer
	method         string
	payload        string // JSON, or "" for none
	tid            string // "" for a new transaction
	sender         string
	attempts       int
	attemptTimeout time.Duration
	timeout        time.Duration

	emulate  bool
	duration time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "application:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	fs := cli.NewFlagSet("application", errOut, getenv)
	var cfg config
	var expect string
	cfg.conn.AddFlags(fs)
	fs.String(&cfg.thing, awscli.Thing, defaultThing, "the application's thing name (its MQTT client ID)")
	fs.String(&cfg.certFile, awscli.Cert, "", "PEM file of the application's certificate (-auth x509)")
	fs.String(&cfg.keyFile, awscli.Key, "", "PEM file of the application's private key (-auth x509)")
	fs.String(&cfg.device, setDevice, "", "the device (thing name) to send the command to")
	fs.String(&cfg.group, setGroup, "", "the group to send the command to, instead of -device")
	fs.StringVar(&expect, "expect", "", "with -group: comma-separated devices that should answer")
	fs.StringVar(&cfg.method, "method", defaultMethod, "the command: sensor.list, sensor.read, reboot, ...")
	fs.String(&cfg.payload, setPayload, "", `the command's JSON payload, e.g. {"id":"temp-1"}`)
	fs.StringVar(&cfg.tid, "tid", "", "the transaction id: give the one of a call that got no answer to retry it safely (default: a new one)")
	fs.StringVar(&cfg.sender, "sender", "", "identifies the application to the devices, which remember transactions per sender (default: -thing)")
	fs.IntVar(&cfg.attempts, "attempts", command.DefaultAttempts, "how many times a request is published without an answer")
	fs.DurationVar(&cfg.attemptTimeout, "attempt-timeout", command.DefaultAttemptTimeout, "how long each attempt waits for the answer")
	fs.DurationVar(&cfg.timeout, "timeout", defaultTimeout, "how long to wait in all (a group waits this long for the silent)")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run a scenario against the in-process AWS IoT Core emulator with emulated devices")
	fs.DurationVar(&cfg.duration, "duration", 0, "with -emulate: run at least this long")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if expect != "" {
		cfg.expect = strings.Split(expect, ",")
	}
	if cfg.sender == "" {
		cfg.sender = cfg.thing
	}
	return cfg, nil
}

// run sends the command and prints the answers; with cfg.emulate it runs
// the emulated scenario instead.
func run(ctx context.Context, cfg config, out io.Writer) error {
	con := cli.NewConsole(out)
	if cfg.emulate {
		ctx, cancel := context.WithTimeout(ctx, emulateTimeout)
		defer cancel()
		return emulate(ctx, cfg, con)
	}
	if err := cfg.check(); err != nil {
		return err
	}
	app, err := connect(ctx, cfg, con)
	if err != nil {
		return err
	}
	defer app.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if cfg.group != "" {
		return app.invokeGroup(ctx, cfg.group, cfg.method, cfg.payload, cfg.expect, cfg.tid)
	}
	return app.invoke(ctx, cfg.device, cfg.method, cfg.payload, cfg.tid)
}

// check reports a command that cannot be sent, before connecting.
func (c config) check() error {
	switch {
	case c.device == "" && c.group == "":
		return &cli.SettingError{Setting: setDevice, Reason: "required: the device to send the command to (or -group)"}
	case c.device != "" && c.group != "":
		return &cli.SettingError{Setting: setGroup, Reason: "give -device or -group, not both"}
	case c.payload != "" && !jsonValid(c.payload):
		return &cli.SettingError{Setting: setPayload, Reason: "not valid JSON"}
	}
	return nil
}
