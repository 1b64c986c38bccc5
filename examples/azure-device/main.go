// Command azure-device is a device on Azure IoT Hub: it sends telemetry,
// keeps its device twin in sync (reports its state, applies the desired
// telemetry interval) and serves direct methods (sensor.list, sensor.read
// and reboot; a method whose payload carries a "tid" runs once however
// often it is retried).
//
// With the device's connection string, from the portal or
// `az iot hub device-identity connection-string show`:
//
//	export IOTHUB_DEVICE_CONNECTION_STRING='HostName=myhub.azure-devices.net;DeviceId=sensor-1;SharedAccessKey=...'
//	azure-device [-websocket]
//
// With an X.509 certificate registered for the device:
//
//	azure-device -host myhub.azure-devices.net -device-id sensor-1 -cert sensor-1.pem -key sensor-1.key
//
// Every flag also reads an environment variable (see -help); a flag given
// on the command line wins. With -state-dir the outbox and the memory of
// completed commands survive restarts.
//
// Without an account, -emulate runs the same code against the in-process
// IoT Hub emulator, plays the cloud's side of a short scenario, prints both
// sides and exits 0:
//
//	azure-device -emulate -duration 2s [-x509] [-websocket]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-iot/tether/examples/internal/cli"
)

// Defaults of the settings.
const (
	defaultInterval = 10 * time.Second
	// defaultEmulateDuration is how long -emulate runs at least.
	defaultEmulateDuration = 2 * time.Second
	// emulateTimeout bounds the whole emulated scenario (loopback only).
	emulateTimeout = 30 * time.Second
	// emulatedDevice is the device -emulate registers.
	emulatedDevice = "sensor-1"
)

// The settings, with the environment variables they default to and the
// azureiot.Config fields they fill (for error messages).
var (
	setConnString = cli.Setting{Flag: "connection-string", Env: "IOTHUB_DEVICE_CONNECTION_STRING",
		Fields: []string{"ConnectionString", "SharedAccessKey", "SharedAccessKeyName"}}
	setHost      = cli.Setting{Flag: "host", Env: "IOTHUB_HOSTNAME", Fields: []string{"HostName"}}
	setDeviceID  = cli.Setting{Flag: "device-id", Env: "IOTHUB_DEVICE_ID", Fields: []string{"DeviceID"}}
	setCert      = cli.Setting{Flag: "cert", Env: "IOTHUB_DEVICE_X509_CERT", Fields: []string{"CertFile", "Certificate"}}
	setKey       = cli.Setting{Flag: "key", Env: "IOTHUB_DEVICE_X509_KEY", Fields: []string{"KeyFile"}}
	setCA        = cli.Setting{Flag: "ca", Env: "IOTHUB_CA", Fields: []string{"RootCAs"}}
	setWebSocket = cli.Setting{Flag: "websocket", Env: "IOTHUB_WEBSOCKET", Fields: []string{"WebSocket"}}
	setServer    = cli.Setting{Flag: "server", Env: "IOTHUB_SERVER", Fields: []string{"Server"}}
	setStateDir  = cli.Setting{Flag: "state-dir", Env: "TETHER_STATE_DIR", Fields: []string{"Outbox"}}
	setInterval  = cli.Setting{Flag: "interval", Env: "TETHER_TELEMETRY_INTERVAL"}

	settings = cli.Settings{setConnString, setHost, setDeviceID, setCert, setKey, setCA,
		setWebSocket, setServer, setStateDir}
)

// config is what the flags and the environment select.
type config struct {
	connString                string
	host, deviceID            string
	certFile, keyFile, caFile string
	webSocket                 bool
	server                    string
	stateDir                  string
	interval                  time.Duration
	logger                    *slog.Logger // the adapter's warnings

	emulate  bool
	x509     bool          // -emulate registers the device with a certificate
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
		fmt.Fprintln(os.Stderr, "azure-device:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	fs := cli.NewFlagSet("azure-device", errOut, getenv)
	cfg := config{logger: cli.WarnLogger(errOut)}
	fs.String(&cfg.connString, setConnString, "", "device connection string, HostName=...;DeviceId=...;SharedAccessKey=... (or ...;x509=true with -cert and -key); prefer the variable: a command line is visible to every user")
	fs.String(&cfg.host, setHost, "", "IoT Hub host name, e.g. myhub.azure-devices.net (X.509 without a connection string)")
	fs.String(&cfg.deviceID, setDeviceID, "", "device ID (X.509 without a connection string)")
	fs.String(&cfg.certFile, setCert, "", "PEM file of the device's X.509 certificate")
	fs.String(&cfg.keyFile, setKey, "", "PEM file of the device's private key")
	fs.String(&cfg.caFile, setCA, "", "PEM file of the roots that verify the hub (default: the system's roots)")
	fs.Bool(&cfg.webSocket, setWebSocket, false, "MQTT over WebSocket on port 443, for networks that block 8883")
	fs.String(&cfg.server, setServer, "", "URL to connect to instead of the hub (a proxy, an IoT Edge gateway): mqtts://host:8883 or wss://host:443/$iothub/websocket")
	fs.String(&cfg.stateDir, setStateDir, "", "directory keeping the outbox and the completed commands across restarts (default: memory only)")
	fs.Duration(&cfg.interval, setInterval, defaultInterval, "telemetry interval until the twin's desired properties set one")
	fs.BoolVar(&cfg.emulate, "emulate", false, "run against the in-process IoT Hub emulator and play the cloud's side")
	fs.BoolVar(&cfg.x509, "x509", false, "with -emulate: register the device with an X.509 certificate instead of a key")
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
	return runDevice(ctx, cfg, nil, con)
}
