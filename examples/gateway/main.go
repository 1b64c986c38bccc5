// Command gateway is one process serving many leaf devices on AWS IoT
// Core: each leaf has its own thing, certificate and MQTT connection (so
// its own policy, shadow, outbox and command topics), sends its telemetry
// and serves its commands, and all of them serve the commands sent to the
// gateway's group.
//
//	gateway -endpoint xxxx-ats.iot.eu-west-1.amazonaws.com -devices 50 \
//	    -cert-dir /etc/gateway/certs -state-dir /var/lib/gateway
//
// reads leaf-1.cert.pem and leaf-1.private.key, ..., leaf-50.* from
// -cert-dir. With -auth websocket every leaf signs with the credentials of
// the AWS environment variables instead.
//
// # Sharing the process's limits
//
// N connections in one process share its memory, its CPU and the
// account's connect quota; tether's limits are per connection, so the
// gateway divides or bounds them:
//
//   - Outboxes: each connection has its own outbox (its own order and
//     quarantine), so -outbox-bytes and -outbox-messages are the gateway's
//     totals, split evenly between the leaves (never below one largest
//     message). When a leaf's share is full, its oldest telemetry goes
//     first (outbox.DropOldest).
//   - Commands: a leaf runs at most -device-commands at once (more are
//     answered 503 and retried by the application with the same TID), and
//     the whole gateway at most -gateway-commands: beyond it a command
//     waits for a slot, within its deadline, rather than answering 503,
//     because a handler's answer is remembered for its TID and a
//     remembered 503 would be replayed to every retry.
//   - Connects: at boot the leaves connect at most -connect-rate per second
//     across the gateway, each after a random delay of up to
//     -connect-jitter, so that N devices do not storm the cloud (AWS
//     limits CONNECTs per account per second, and per client ID to one
//     per second). After an outage each connection reconnects with its own
//     full-jitter backoff, which spreads the reconnects the same way.
//
// Without an account, -emulate runs the gateway against the in-process
// AWS IoT Core emulator, sends a command to the group, prints what
// happens and exits 0:
//
//	gateway -emulate -devices 5 -duration 2s
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/transport/outbox"
)

// Defaults of the settings.
const (
	defaultDevices         = 3
	defaultPrefix          = "leaf-"
	defaultGroup           = "gateway-1"
	defaultInterval        = 10 * time.Second
	defaultConnectRate     = 10.0
	defaultConnectJitter   = time.Second
	defaultDeviceCommands  = 2
	defaultGatewayCommands = 8
	// defaultEmulateDuration is how long -emulate runs at least.
	defaultEmulateDuration = 2 * time.Second
	// emulateTimeout bounds the whole emulated scenario (loopback only).
	emulateTimeout = 30 * time.Second
)

// The settings of the gateway besides the connection's (awscli).
var (
	setDevices  = cli.Setting{Flag: "devices", Env: "TETHER_GATEWAY_DEVICES"}
	setCertDir  = cli.Setting{Flag: "cert-dir", Env: "AWS_IOT_CERT_DIR", Fields: []string{"CertFile", "KeyFile", "Certificate"}}
	setStateDir = cli.Setting{Flag: "state-dir", Env: "TETHER_STATE_DIR", Fields: []string{"Outbox"}}
	setInterval = cli.Setting{Flag: "interval", Env: "TETHER_TELEMETRY_INTERVAL"}

	// The gateway's own settings first: a leaf's CertFile comes from
	// -cert-dir, not -cert.
	settings = append(cli.Settings{setCertDir, setStateDir}, awscli.Settings...)
)

// config is what the flags and the environment select.
type config struct {
	conn     awscli.Connection
	devices  int
	prefix   string
	certDir  string
	group    string
	stateDir string
	interval time.Duration

	connectRate     float64
	connectJitter   time.Duration
	deviceCommands  int
	gatewayCommands int
	outboxBytes     int64
	outboxMessages  int

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
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	fs := cli.NewFlagSet("gateway", errOut, getenv)
	var cfg config
	cfg.conn.AddFlags(fs)
	fs.Int(&cfg.devices, setDevices, defaultDevices, "number of leaf devices")
	fs.StringVar(&cfg.prefix, "prefix", defaultPrefix, "leaf thing names: prefix followed by 1..N")
	fs.String(&cfg.certDir, setCertDir, "", "directory of the leaves' {name}.cert.pem and {name}.private.key (-auth x509)")
	fs.StringVar(&cfg.group, "group", defaultGroup, "the group every leaf serves commands for")
	fs.String(&cfg.stateDir, setStateDir, "", "directory keeping each leaf's outbox and completed commands across restarts (default: memory only)")
	fs.Duration(&cfg.interval, setInterval, defaultInterval, "each leaf's telemetry interval")
	fs.Float64Var(&cfg.connectRate, "connect-rate", defaultConnectRate, "leaf connects per second, across the gateway")
	fs.DurationVar(&cfg.connectJitter, "connect-jitter", defaultConnectJitter, "random delay of up to this before each leaf's first connect")
	fs.IntVar(&cfg.deviceCommands, "device-commands", defaultDeviceCommands, "commands one leaf runs at once")
	fs.IntVar(&cfg.gatewayCommands, "gateway-commands", defaultGatewayCommands, "commands the whole gateway runs at once")
	fs.Int64Var(&cfg.outboxBytes, "outbox-bytes", outbox.DefaultMaxBytes, "outbox bytes for the whole gateway, split between the leaves")
	fs.IntVar(&cfg.outboxMessages, "outbox-messages", outbox.DefaultMaxMessages, "outbox messages for the whole gateway, split between the leaves")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run against the in-process AWS IoT Core emulator and send the leaves a group command")
	fs.DurationVar(&cfg.duration, "duration", 0, "stop after this long (default: until interrupted; 2s with -emulate)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// check reports settings the adapter does not check.
func (c config) check() error {
	switch {
	case c.devices < 1:
		return &cli.SettingError{Setting: setDevices, Reason: "at least 1"}
	case c.connectRate <= 0:
		return &cli.SettingError{Setting: cli.Setting{Flag: "connect-rate"}, Reason: "must be positive"}
	case c.deviceCommands < 1 || c.gatewayCommands < 1:
		return &cli.SettingError{Setting: cli.Setting{Flag: "gateway-commands"}, Reason: "-device-commands and -gateway-commands must be at least 1"}
	case c.conn.Auth == awscli.AuthX509 && c.certDir == "":
		return &cli.SettingError{Setting: setCertDir, Reason: "required with -auth x509"}
	}
	return nil
}

// run runs the gateway until ctx ends or cfg.duration passes; with
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
	return runGateway(ctx, cfg, con)
}
