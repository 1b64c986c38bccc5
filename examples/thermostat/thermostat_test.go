package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/examples/internal/stateconn"
	"github.com/tether-iot/tether/examples/thermostat/firmware"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/twin"
)

// TestThermostat runs the same firmware, and the same assertions, on the
// AWS IoT Core emulator (shadow.Client) and the Azure IoT Hub emulator
// (twin.Client).
func TestThermostat(t *testing.T) {
	clouds := []struct {
		name   string
		start  func(context.Context, string) (*emulatedCloud, error)
		syncer func(*emulatedCloud) bool
	}{
		{"aws", startAWS, func(c *emulatedCloud) bool { _, ok := c.dev.Syncer.(*shadow.Client); return ok }},
		{"azure", startAzure, func(c *emulatedCloud) bool { _, ok := c.dev.Syncer.(*twin.Client); return ok }},
	}
	for _, tc := range clouds {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cloud, err := tc.start(ctx, "thermostat-1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cloud.close)
			if !tc.syncer(cloud) {
				t.Fatalf("%s: syncer is a %T", tc.name, cloud.dev.Syncer)
			}
			applied := make(chan float64, 10)
			runFirmware(t, cloud, func(sp float64, _ int64) { applied <- sp })

			// The cloud asks for 22.5 °C: the firmware applies it, and the
			// cloud's stored reported state shows the setpoint and, soon,
			// the room at that temperature.
			if err := cloud.setDesired(map[string]any{"setpoint": 22.5}); err != nil {
				t.Fatal(err)
			}
			if sp := next(t, applied); sp != 22.5 {
				t.Fatalf("applied setpoint %v, want 22.5", sp)
			}
			if err := waitReported(ctx, cloud, "22.5"); err != nil {
				t.Fatal(err)
			}

			// A change while the device is offline is applied after it
			// reconnects.
			cloud.offline()
			if err := cloud.setDesired(map[string]any{"setpoint": 19}); err != nil {
				t.Fatal(err)
			}
			select {
			case sp := <-applied:
				t.Fatalf("setpoint %v applied while offline", sp)
			case <-time.After(50 * time.Millisecond):
			}
			if got := fmt.Sprint(cloud.reported()["setpoint"]); got != "22.5" {
				t.Fatalf("reported setpoint %s while offline", got)
			}
			cloud.online()
			if sp := next(t, applied); sp != 19 {
				t.Fatalf("applied setpoint %v after reconnecting, want 19", sp)
			}
			if err := waitReported(ctx, cloud, "19"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// runFirmware runs the thermostat on cloud's device until the test ends.
func runFirmware(t *testing.T, cloud *emulatedCloud, onSetpoint func(float64, int64)) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- firmware.Run(ctx, cloud.dev.Syncer, firmware.Config{
			Tick: emulatedTick, Telemetry: cloud.dev.Transport, OnSetpoint: onSetpoint})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("firmware.Run = %v", err)
		}
	})
}

func next(t *testing.T, applied chan float64) float64 {
	t.Helper()
	select {
	case sp := <-applied:
		return sp
	case <-time.After(5 * time.Second):
		t.Fatal("no setpoint applied")
		return 0
	}
}

// TestEmulate runs `thermostat -emulate`.
func TestEmulate(t *testing.T) {
	leakcheck.Check(t)
	cfg, err := parseFlags([]string{"-emulate"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"AWS IoT Core: device applied setpoint 22.5",
		"Azure IoT Hub: device applied setpoint 19",
		"cloud: every step worked",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	t.Setenv(stateconn.ConnectionStringEnv, "")
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"-emulate"}, true},
		{[]string{"-emulate", "-cloud", "azure"}, true},
		{[]string{"-emulate", "-cloud", "gcp"}, false},
		{[]string{"-cloud", "aws", "-endpoint", "x-ats.iot.eu-west-1.amazonaws.com", "-cert", "c.pem", "-key", "k.pem"}, true},
		{[]string{"-cloud", "aws", "-endpoint", "x-ats.iot.eu-west-1.amazonaws.com"}, false},
		{[]string{"-cloud", "azure", "-connection-string", "HostName=h;DeviceId=d;SharedAccessKey=AAAA"}, true},
		{[]string{"-cloud", "azure"}, false},
		{[]string{}, false},
		{[]string{"-emulate", "-tick", "0s"}, false},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, io.Discard)
		if (err == nil) != tt.ok {
			t.Errorf("parseFlags(%q) = %v, want ok=%v", tt.args, err, tt.ok)
		}
	}
}

// The connection string may come from the environment, and never shows in
// the usage message.
func TestConnectionStringFromTheEnvironment(t *testing.T) {
	const secret = "HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0"
	t.Setenv(stateconn.ConnectionStringEnv, secret)
	cfg, err := parseFlags([]string{"-cloud", "azure"}, io.Discard)
	if err != nil || cfg.conn.ConnectionString != secret {
		t.Fatalf("parseFlags = %+v, %v", cfg, err)
	}
	var usage bytes.Buffer
	if _, err := parseFlags([]string{"-cloud", "gcp"}, &usage); err == nil {
		t.Fatal("-cloud gcp accepted")
	}
	if strings.Contains(usage.String(), "c2VjcmV0") {
		t.Errorf("the usage message shows the key:\n%s", usage.String())
	}
}
