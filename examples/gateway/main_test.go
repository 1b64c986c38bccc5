package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/outbox"
)

// env returns a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestEmulate runs the emulated scenario, as `gateway -emulate` does,
// with X.509 leaves and with SigV4 leaves.
func TestEmulate(t *testing.T) {
	leakcheck.Check(t) // the emulated run stops everything it started
	for _, extra := range [][]string{nil, {"-auth", "websocket"}} {
		t.Run(strings.Join(extra, " "), func(t *testing.T) {
			args := append([]string{"-emulate", "-devices", "4", "-duration", "100ms",
				"-connect-rate", "100", "-connect-jitter", "50ms"}, extra...)
			cfg, err := parseFlags(args, env(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(context.Background(), cfg, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"leaf-1:   connected", "leaf-4:   connected",
				"4 of 4 leaves answered",
				"telemetry messages from leaf-4",
				"scenario complete",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestMisconfiguration checks that a mistake fails before any leaf
// connects, naming the flag to fix.
func TestMisconfiguration(t *testing.T) {
	const endpoint = "abc-ats.iot.eu-west-1.amazonaws.com"
	tests := []struct {
		name  string
		args  []string
		names []string
		is    error
	}{{
		name:  "no cert dir",
		args:  []string{"-endpoint", endpoint},
		names: []string{"-cert-dir", "$AWS_IOT_CERT_DIR"},
	}, {
		name:  "cert dir without the leaf's files",
		args:  []string{"-endpoint", endpoint, "-cert-dir", t.TempDir()},
		names: []string{"leaf-1", "-cert-dir", "leaf-1.cert.pem"},
		is:    fs.ErrNotExist,
	}, {
		name:  "no devices",
		args:  []string{"-endpoint", endpoint, "-devices", "0"},
		names: []string{"-devices"},
	}, {
		name:  "wrong port for websocket",
		args:  []string{"-endpoint", endpoint, "-auth", "websocket", "-port", "8883"},
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

// TestOutboxShare checks the split of the outbox budget between leaves.
func TestOutboxShare(t *testing.T) {
	tests := []struct {
		bytes    int64
		messages int
		leaves   int
		want     outbox.Options
	}{
		{16 << 20, 10000, 4, outbox.Options{MaxBytes: 4 << 20, MaxMessages: 2500}},
		{1 << 20, 100, 1000, outbox.Options{MaxBytes: awsiot.MaxPayloadSize, MaxMessages: 1}}, // floors
	}
	for _, tt := range tests {
		got := outboxShare(tt.bytes, tt.messages, tt.leaves)
		if got.MaxBytes != tt.want.MaxBytes || got.MaxMessages != tt.want.MaxMessages || got.Full != outbox.DropOldest {
			t.Errorf("outboxShare(%d, %d, %d) = %+v, want %+v", tt.bytes, tt.messages, tt.leaves, got, tt.want)
		}
	}
}

// TestCommandPool checks that the pool bounds the commands running at
// once, makes the others wait for a slot, and answers 504 without running
// a command whose deadline passes while it waits.
func TestCommandPool(t *testing.T) {
	pool := newCommandPool(1)
	release := make(chan struct{})
	var running, ran atomic.Int32
	h := pool.Wrap(command.HandlerFunc(func(ctx context.Context, req *command.Request) command.Response {
		if running.Add(1) > 1 {
			t.Error("two commands ran at once")
		}
		defer running.Add(-1)
		ran.Add(1)
		if req.Method == "slow" {
			<-release
		}
		return command.JSON(command.StatusOK, nil)
	}))

	slowDone := make(chan command.Response)
	go func() { slowDone <- h.ServeCommand(context.Background(), &command.Request{Method: "slow", TID: "1"}) }()
	for running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	// The pool is full: a command whose deadline passes while waiting is
	// answered 504 and never runs.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if resp := h.ServeCommand(ctx, &command.Request{Method: "fast", TID: "2"}); resp.Status != command.StatusGatewayTimeout {
		t.Errorf("waiting past the deadline: status %d, want 504", resp.Status)
	}
	if ran.Load() != 1 {
		t.Errorf("%d commands ran, want 1", ran.Load())
	}

	// One that can wait runs once the slot is free.
	fastDone := make(chan command.Response)
	go func() { fastDone <- h.ServeCommand(context.Background(), &command.Request{Method: "fast", TID: "3"}) }()
	close(release)
	for _, done := range []chan command.Response{slowDone, fastDone} {
		if resp := <-done; resp.Status != command.StatusOK {
			t.Errorf("status %d, want 200", resp.Status)
		}
	}
	if ran.Load() != 2 {
		t.Errorf("%d commands ran, want 2", ran.Load())
	}
}
