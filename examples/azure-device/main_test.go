package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
)

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestEmulate runs the emulated scenario, as `azure-device -emulate` does,
// with a connection string and with an X.509 certificate, over TLS and
// over WebSocket.
func TestEmulate(t *testing.T) {
	leakcheck.Check(t) // the emulated run stops everything it started
	for _, args := range [][]string{
		{"-emulate", "-duration", "100ms"},
		{"-emulate", "-duration", "100ms", "-x509"},
		{"-emulate", "-duration", "100ms", "-websocket"},
	} {
		t.Run(strings.Join(args[3:], " "), func(t *testing.T) {
			cfg, err := parseFlags(args, env(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(context.Background(), cfg, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"device:   connected",
				"(content type application/json)",
				"desired telemetryIntervalMs=250 applied",
				"sensor.list → 200",
				"the reboot ran once",
				"scenario complete",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestMisconfiguration checks that a configuration mistake fails before
// connecting, with an error naming the flag and the environment variable
// to fix, without the shared access key, and still matching the adapter's
// typed error.
func TestMisconfiguration(t *testing.T) {
	const key = "c2VjcmV0a2V5MTIzNDU2Nzg5MA==" // in no message
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		names   []string // in the message
		setting string   // the transport.ConfigError's Setting, if any
		is      error
	}{{
		name:    "malformed connection string",
		env:     map[string]string{"IOTHUB_DEVICE_CONNECTION_STRING": "HostName=myhub.azure-devices.net;SharedAccessKey=" + key},
		names:   []string{"-connection-string", "$IOTHUB_DEVICE_CONNECTION_STRING", "DeviceId"},
		setting: "ConnectionString",
		is:      azureiot.ErrInvalidConnectionString,
	}, {
		name:    "connection string that is not one",
		args:    []string{"-connection-string", "myhub.azure-devices.net/sensor-1"},
		names:   []string{"-connection-string", "malformed"},
		setting: "ConnectionString",
		is:      azureiot.ErrInvalidConnectionString,
	}, {
		name:    "missing cert file",
		args:    []string{"-host", "myhub.azure-devices.net", "-device-id", "sensor-1", "-cert", missing + ".pem", "-key", missing + ".key"},
		names:   []string{"-cert", "$IOTHUB_DEVICE_X509_CERT"},
		setting: "CertFile",
		is:      fs.ErrNotExist,
	}, {
		name:  "X.509 without a certificate",
		args:  []string{"-host", "myhub.azure-devices.net", "-device-id", "sensor-1"},
		names: []string{"-cert", "$IOTHUB_DEVICE_X509_CERT"},
	}, {
		name:    "X.509 without a device ID",
		args:    []string{"-host", "myhub.azure-devices.net", "-cert", "c.pem", "-key", "k.pem"},
		names:   []string{"-device-id", "$IOTHUB_DEVICE_ID"},
		setting: "DeviceID",
		is:      transport.ErrInvalidConfig,
	}, {
		name:  "nothing",
		names: []string{"-connection-string", "$IOTHUB_DEVICE_CONNECTION_STRING", "-host"},
	}, {
		name:  "missing CA file",
		args:  []string{"-connection-string", "HostName=myhub.azure-devices.net;DeviceId=sensor-1;SharedAccessKey=" + key, "-ca", missing},
		names: []string{"-ca", "$IOTHUB_CA"},
		is:    fs.ErrNotExist,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = run(ctx, cfg, io.Discard)
			if err == nil {
				t.Fatal("run succeeded")
			}
			for _, name := range tt.names {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %q", err, name)
				}
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q shows the shared access key", err)
			}
			var ce *transport.ConfigError
			if tt.setting != "" && (!errors.As(err, &ce) || ce.Setting != tt.setting) {
				t.Errorf("error %v: want a *transport.ConfigError for %s", err, tt.setting)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
		})
	}
}

// TestFlagsAndEnvironment checks that every setting reads its environment
// variable and that a flag wins over it.
func TestFlagsAndEnvironment(t *testing.T) {
	vars := map[string]string{
		"IOTHUB_DEVICE_CONNECTION_STRING": "HostName=env.azure-devices.net;DeviceId=env;SharedAccessKey=a2V5",
		"IOTHUB_HOSTNAME":                 "env.azure-devices.net",
		"IOTHUB_DEVICE_ID":                "env-device",
		"IOTHUB_DEVICE_X509_CERT":         "env.pem",
		"IOTHUB_DEVICE_X509_KEY":          "env.key",
		"IOTHUB_CA":                       "env-ca.pem",
		"IOTHUB_WEBSOCKET":                "true",
		"IOTHUB_SERVER":                   "wss://proxy:443/$iothub/websocket",
		"TETHER_STATE_DIR":                "/var/lib/sensor",
		"TETHER_TELEMETRY_INTERVAL":       "1m",
	}
	cfg, err := parseFlags([]string{"-device-id", "flag-device", "-websocket=false"}, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		connString: vars["IOTHUB_DEVICE_CONNECTION_STRING"],
		host:       "env.azure-devices.net", deviceID: "flag-device",
		certFile: "env.pem", keyFile: "env.key", caFile: "env-ca.pem",
		webSocket: false, server: "wss://proxy:443/$iothub/websocket",
		stateDir: "/var/lib/sensor", interval: time.Minute,
	}
	if cfg.logger == nil {
		t.Error("no logger for the adapter's warnings")
	}
	cfg.logger = nil
	if cfg != want {
		t.Errorf("config\n%+v\nwant\n%+v", cfg, want)
	}
}
