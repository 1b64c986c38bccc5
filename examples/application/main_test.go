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

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
)

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestEmulate runs the emulated scenario, as `application -emulate` does.
func TestEmulate(t *testing.T) {
	leakcheck.Check(t) // the emulated run stops everything it started
	cfg, err := parseFlags([]string{"-emulate"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"sensor-1 sensor.read → 200",
		"sensor-3 sensor.list → 200",
		"sensor-2 rebooted once",
		"sensor-1 firmware.update → 404",
		"group floor-1 sensor.list",
		"no answer from sensor-4",
		"scenario complete",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "sensor-2: command reboot"); n != 1 {
		t.Errorf("sensor-2 ran reboot %d times, want 1:\n%s", n, out.String())
	}
}

// TestMisconfiguration checks that a mistake fails before connecting, with
// an error naming the flag (and environment variable) to fix.
func TestMisconfiguration(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	const endpoint = "abc-ats.iot.eu-west-1.amazonaws.com"
	tests := []struct {
		name  string
		args  []string
		names []string
		is    error
	}{{
		name:  "no device",
		args:  []string{"-endpoint", endpoint},
		names: []string{"-device", "-group"},
	}, {
		name:  "device and group",
		args:  []string{"-endpoint", endpoint, "-device", "d", "-group", "g"},
		names: []string{"-group", "not both"},
	}, {
		name:  "payload not JSON",
		args:  []string{"-endpoint", endpoint, "-device", "d", "-payload", "{id:temp-1}"},
		names: []string{"-payload", "JSON"},
	}, {
		name:  "missing cert file",
		args:  []string{"-endpoint", endpoint, "-device", "d", "-cert", missing + ".pem", "-key", missing + ".key"},
		names: []string{"-cert", "$AWS_IOT_CERT"},
		is:    fs.ErrNotExist,
	}, {
		name:  "wrong port for websocket",
		args:  []string{"-endpoint", endpoint, "-device", "d", "-auth", "websocket", "-port", "8883"},
		names: []string{"-port", "443"},
		is:    transport.ErrInvalidConfig,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, env(nil), io.Discard)
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
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
		})
	}
}

// TestFlags checks the command's flags and their defaults.
func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-group", "floor-1", "-expect", "a,b", "-tid", "t-1"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.group != "floor-1" || !reflect.DeepEqual(cfg.expect, []string{"a", "b"}) || cfg.tid != "t-1" ||
		cfg.method != defaultMethod || cfg.sender != defaultThing || cfg.thing != defaultThing {
		t.Errorf("config %+v", cfg)
	}
}
