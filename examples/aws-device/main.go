// Command aws-device is a device on AWS IoT Core: it sends telemetry,
// keeps its Device Shadow in sync (reports its state, applies the desired
// telemetry interval) and serves commands (sensor.list, sensor.read and
// reboot, each transaction run once however often it is retried).
//
// Against a real account, with the thing's certificate (mutual TLS on
// 8883, or on 443 with ALPN for networks that only let HTTPS out):
//
//	aws-device -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -thing sensor-1 \
//	    -cert sensor-1.cert.pem -key sensor-1.private.key [-port 443]
//
// or over WebSocket with SigV4, signed with the credentials in the standard
// AWS environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN for temporary ones, AWS_REGION):
//
//	aws-device -auth websocket -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -thing sensor-1
//
// Every flag also reads an environment variable (see -help); a flag given
// on the command line wins. With -state-dir the outbox and the memory of
// completed commands survive restarts.
//
// Without an account, -emulate runs the same code against the in-process
// AWS IoT Core emulator, plays the cloud's side of a short scenario,
// prints both sides and exits 0:
//
//	aws-device -emulate -duration 2s [-auth websocket | -port 443]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
)

// Defaults of the settings.
const (
	defaultThing    = "sensor-1"
	defaultInterval = 10 * time.Second
	// defaultEmulateDuration is how long -emulate runs at least.
	defaultEmulateDuration = 2 * time.Second
	// emulateTimeout bounds the whole emulated scenario (loopback only).
	emulateTimeout = 30 * time.Second
)

// The settings of this example besides the connection's (awscli), with
// the environment variables they default to.
var (
	setStateDir = cli.Setting{Flag: "state-dir", Env: "TETHER_STATE_DIR", Fields: []string{"Outbox"}}
	setInterval = cli.Setting{Flag: "interval", Env: "TETHER_TELEMETRY_INTERVAL"}

	settings = append(cli.Settings{setStateDir}, awscli.Settings...)
)

// config is what the flags and the environment select.
type config struct {
	conn              awscli.Connection
	thing             string
	certFile, keyFile string
	stateDir          string
	interval          time.Duration

	emulate  bool
	duration time.Duration // 0: until interrupted
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = run(ctx, cfg, os.Stdout)
	if errors.Is(err, errRebooted) {
		// Exit cleanly: the supervisor (systemd Restart=always, a container
		// restart policy) starts the device again.
		fmt.Println("device: exiting for a reboot")
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws-device:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	fs := cli.NewFlagSet("aws-device", errOut, getenv)
	var cfg config
	cfg.conn.AddFlags(fs)
	fs.String(&cfg.thing, awscli.Thing, defaultThing, "thing name (also the MQTT client ID)")
	fs.String(&cfg.certFile, awscli.Cert, "", "PEM file of the thing's certificate (-auth x509)")
	fs.String(&cfg.keyFile, awscli.Key, "", "PEM file of the thing's private key (-auth x509)")
	fs.String(&cfg.stateDir, setStateDir, "", "directory keeping the outbox and the completed commands across restarts (default: memory only)")
	fs.Duration(&cfg.interval, setInterval, defaultInterval, "telemetry interval until the shadow's desired state sets one")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run against the in-process AWS IoT Core emulator and play the cloud's side")
	fs.DurationVar(&cfg.duration, "duration", 0, "stop after this long (default: until interrupted; 2s with -emulate)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// run runs the device until ctx ends or cfg.duration passes; with
// cfg.emulate it runs the emulated scenario instead.
func run(ctx context.Context, cfg config, out io.Writer) error {
	con := cli.NewConsole(out)
	if cfg.emulate {
		ctx, cancel := context.WithTimeout(ctx, emulateTimeout)
		defer cancel()
		return emulate(ctx, cfg, con)
	}
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	return runDevice(ctx, cfg, con)
}
