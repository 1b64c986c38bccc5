package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/examples/internal/stateconn"
)

func TestEmulate(t *testing.T) {
	for _, cloud := range []string{"aws", "azure"} {
		t.Run(cloud, func(t *testing.T) {
			var out bytes.Buffer
			cfg := config{cloud: cloud, emulate: true, interval: time.Second, conn: stateconn.Settings{Thing: DefaultThing}}
			if err := run(context.Background(), cfg, &out); err != nil {
				t.Fatalf("run: %v\noutput:\n%s", err, out.String())
			}
			for _, want := range []string{
				"device thermostat-1 connected to " + cloud,
				"cloud: sensor.read answered 200",
				"desired intervalMs=200 applied",
				"cloud: the device reports intervalMs=200",
				"cloud: every step worked",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
	}{
		{[]string{"-cloud", "aws", "-emulate"}, false},
		{[]string{"-cloud", "azure", "-emulate", "-interval", "2s"}, false},
		{[]string{"-cloud", "aws", "-endpoint", "x-ats.iot.eu-west-1.amazonaws.com", "-cert", "c.pem", "-key", "k.pem"}, false},
		{[]string{"-cloud", "azure", "-connection-string", "HostName=h;DeviceId=d;SharedAccessKey=a2V5"}, false},
		{[]string{}, true},
		{[]string{"-cloud", "gcp", "-emulate"}, true},
		{[]string{"-cloud", "aws"}, true},
		{[]string{"-cloud", "aws", "-endpoint", "x"}, true},
		{[]string{"-cloud", "azure", "-connection-string", ""}, true},
		{[]string{"-cloud", "aws", "-emulate", "-interval", "0s"}, true},
		{[]string{"-no-such-flag"}, true},
	}
	for _, tt := range tests {
		t.Setenv("TETHER_AZURE_CONNECTION_STRING", "")
		_, err := parseFlags(tt.args, io.Discard)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseFlags(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v    any
		want int64
		ok   bool
	}{
		{200.0, 200, true},
		{200.5, 0, false},
		{int64(7), 7, true},
		{"200", 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := number(tt.v)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("number(%#v) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

// TestHelpHidesConnectionString checks that -help, which prints every
// flag's default, does not print the key-bearing connection string taken
// from the environment, while the environment still configures the device.
func TestHelpHidesConnectionString(t *testing.T) {
	const secret = "HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0LWtleQ=="
	t.Setenv(stateconn.ConnectionStringEnv, secret)
	var help bytes.Buffer
	if _, err := parseFlags([]string{"-help"}, &help); err == nil {
		t.Fatal("-help: want flag.ErrHelp")
	}
	if strings.Contains(help.String(), "c2VjcmV0LWtleQ") {
		t.Fatalf("-help printed the device key:\n%s", help.String())
	}
	cfg, err := parseFlags([]string{"-cloud", "azure"}, io.Discard)
	if err != nil {
		t.Fatalf("connection string from the environment: %v", err)
	}
	if cfg.conn.ConnectionString != secret {
		t.Fatalf("connection string = %q, want the environment's", cfg.conn.ConnectionString)
	}
}
