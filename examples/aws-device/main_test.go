package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
)

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestEmulate runs the emulated scenario, as `aws-device -emulate` does,
// with each way of connecting to AWS IoT Core.
func TestEmulate(t *testing.T) {
	leakcheck.Check(t) // the emulated run stops everything it started
	for _, args := range [][]string{
		{"-emulate", "-duration", "100ms"},                       // X.509 on 8883
		{"-emulate", "-duration", "100ms", "-port", "443"},       // X.509 on 443, ALPN
		{"-emulate", "-duration", "100ms", "-auth", "websocket"}, // SigV4 over wss
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
// to fix, and still matching the adapter's typed error.
func TestMisconfiguration(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		names   []string // in the message
		setting string   // the transport.ConfigError's Setting, if any
		is      error
	}{{
		name:    "missing cert file",
		args:    []string{"-endpoint", "abc-ats.iot.eu-west-1.amazonaws.com", "-cert", missing + ".pem", "-key", missing + ".key"},
		names:   []string{"-cert", "$AWS_IOT_CERT", "cannot read the certificate"},
		setting: "CertFile",
		is:      fs.ErrNotExist,
	}, {
		name:    "wrong port for websocket",
		args:    []string{"-endpoint", "abc-ats.iot.eu-west-1.amazonaws.com", "-auth", "websocket", "-port", "8883"},
		env:     creds,
		names:   []string{"-port", "$AWS_IOT_PORT", "443"},
		setting: "Port",
		is:      transport.ErrInvalidConfig,
	}, {
		name:    "wrong port for x509",
		args:    []string{"-endpoint", "abc-ats.iot.eu-west-1.amazonaws.com", "-cert", "c.pem", "-key", "k.pem", "-port", "1883"},
		names:   []string{"-port", "8883", "443"},
		setting: "Port",
		is:      transport.ErrInvalidConfig,
	}, {
		name:    "no endpoint",
		args:    []string{"-cert", "c.pem", "-key", "k.pem"},
		names:   []string{"-endpoint", "$AWS_IOT_ENDPOINT"},
		setting: "Endpoint",
		is:      transport.ErrInvalidConfig,
	}, {
		name:  "websocket without credentials",
		args:  []string{"-endpoint", "abc-ats.iot.eu-west-1.amazonaws.com", "-auth", "websocket"},
		names: []string{"$AWS_ACCESS_KEY_ID"},
	}, {
		name:  "unknown auth",
		args:  []string{"-endpoint", "abc-ats.iot.eu-west-1.amazonaws.com", "-auth", "password"},
		names: []string{"-auth", "x509 or websocket"},
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
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the secret key", err)
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
		"AWS_IOT_ENDPOINT":      "env-ats.iot.us-east-1.amazonaws.com",
		"AWS_IOT_THING_NAME":    "env-thing",
		"AWS_IOT_CERT":          "env.pem",
		"AWS_IOT_KEY":           "env.key",
		"AWS_IOT_CA":            "env-ca.pem",
		"AWS_IOT_PORT":          "443",
		"AWS_IOT_AUTH":          "websocket",
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN":     "token",
		"TETHER_STATE_DIR":      "/var/lib/sensor",
	}
	cfg, err := parseFlags([]string{"-thing", "flag-thing", "-auth", "x509"}, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		conn: awscli.Connection{
			Endpoint: "env-ats.iot.us-east-1.amazonaws.com", CAFile: "env-ca.pem",
			Auth: "x509", Port: 443, Region: "us-east-1",
			AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token",
		},
		thing:    "flag-thing",
		certFile: "env.pem", keyFile: "env.key",
		stateDir: "/var/lib/sensor",
		interval: defaultInterval,
	}
	if cfg.conn.Logger == nil {
		t.Error("no logger for the adapter's warnings")
	}
	cfg.conn.Logger = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config\n%+v\nwant\n%+v", cfg, want)
	}
	if _, err := parseFlags(nil, env(map[string]string{"AWS_IOT_PORT": "https"}), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "AWS_IOT_PORT") {
		t.Errorf("a malformed $AWS_IOT_PORT: error %v, want one naming it", err)
	}
	if _, err := parseFlags([]string{"-port", "8883"}, env(map[string]string{"AWS_IOT_PORT": "https"}), io.Discard); err != nil {
		t.Errorf("-port given: the malformed variable must not matter: %v", err)
	}
}
