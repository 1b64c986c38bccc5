package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/stateconn"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

const (
	// firmwareVersion is reported in the device's state.
	firmwareVersion = "1.0.0"
	// telemetryTopic is the canonical topic of the readings.
	telemetryTopic = "telemetry"
	// intervalKey is the desired (and reported) telemetry interval, in
	// milliseconds.
	intervalKey = "intervalMs"
	// minInterval bounds what the desired state may ask for.
	minInterval = 100 * time.Millisecond
	// sendTimeout bounds one telemetry send (the outbox keeps the message
	// if the connection is down).
	sendTimeout = 10 * time.Second
	// shutdownTimeout bounds the command server's shutdown.
	shutdownTimeout = 5 * time.Second
)

// console serializes the device's log lines.
type console struct {
	mu  sync.Mutex
	out io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format+"\n", args...)
}

// firmware is the device's behaviour, written once for every cloud.
type firmware struct {
	conn     *stateconn.Device
	log      *console
	interval atomic.Int64 // nanoseconds
	seq      atomic.Uint64
	changed  chan struct{} // poked when the interval changes
}

// reading is one temperature reading.
type reading struct {
	Seq     uint64  `json:"seq"`
	Celsius float64 `json:"celsius"`
}

func (f *firmware) read() reading {
	n := f.seq.Add(1)
	// A plausible thermostat: 21 °C give or take a degree.
	return reading{Seq: n, Celsius: math.Round((21+math.Sin(float64(n)/5))*10) / 10}
}

// runFirmware serves commands, keeps the state in sync and sends telemetry
// until ctx ends, then shuts down and closes conn.
func runFirmware(ctx context.Context, conn *stateconn.Device, interval time.Duration, out io.Writer) error {
	f := &firmware{conn: conn, log: &console{out: out}, changed: make(chan struct{}, 1)}
	f.interval.Store(int64(interval))
	info := conn.Transport.Info()
	f.log.printf("device %s connected to %s", info.DeviceID, info.Cloud)

	router := command.NewRouter()
	router.HandleFunc("sensor.read", f.onRead)
	router.HandleFunc("interval.get", f.onIntervalGet)
	dev, err := command.NewDevice(ctx, conn.Transport, router)
	if err != nil {
		return errors.Join(err, f.close())
	}
	conn.Syncer.OnDesired(f.onDesired)
	if err := conn.Syncer.Report(ctx, map[string]any{"firmware": firmwareVersion, intervalKey: interval.Milliseconds()}); err != nil {
		f.log.printf("reporting the initial state: %v", err)
	}

	err = f.sendTelemetry(ctx)
	conn.Syncer.OnDesired(nil)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return errors.Join(err, dev.Shutdown(sctx), f.close())
}

func (f *firmware) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return f.conn.Close(ctx)
}

// sendTelemetry sends a reading every interval until ctx ends.
func (f *firmware) sendTelemetry(ctx context.Context) error {
	for {
		payload, err := json.Marshal(f.read())
		if err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err = f.conn.Transport.Send(sctx, transport.Message{Topic: telemetryTopic, Payload: payload, QoS: 1})
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, transport.ErrQueued):
			f.log.printf("telemetry queued until the connection is back")
		case err != nil:
			f.log.printf("telemetry not sent: %v", err)
		}
		t := time.NewTimer(time.Duration(f.interval.Load()))
		select {
		case <-t.C:
		case <-f.changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

func (f *firmware) onRead(_ context.Context, req *command.Request) command.Response {
	f.log.printf("command %s", req.Method)
	return command.JSON(command.StatusOK, f.read())
}

func (f *firmware) onIntervalGet(_ context.Context, req *command.Request) command.Response {
	f.log.printf("command %s", req.Method)
	return command.JSON(command.StatusOK, map[string]int64{intervalKey: time.Duration(f.interval.Load()).Milliseconds()})
}

// onDesired applies a desired telemetry interval and reports it.
func (f *firmware) onDesired(ctx context.Context, d state.Desired) {
	v, ok := d.Changed[intervalKey]
	if !ok {
		return
	}
	ms, ok := number(v)
	if !ok || time.Duration(ms)*time.Millisecond < minInterval {
		f.log.printf("desired %s=%v refused", intervalKey, v)
		return
	}
	f.interval.Store(int64(time.Duration(ms) * time.Millisecond))
	select {
	case f.changed <- struct{}{}:
	default:
	}
	f.log.printf("desired %s=%d applied (version %d)", intervalKey, ms, d.Version)
	if err := f.conn.Syncer.Report(ctx, map[string]any{intervalKey: ms}); err != nil {
		f.log.printf("reporting %s: %v", intervalKey, err)
	}
}

// number reads a whole JSON number however the syncer decoded it.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n == math.Trunc(n)
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
