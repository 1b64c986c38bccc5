package firmware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/transport"
)

const (
	// Version is the firmware version the device reports.
	Version = "1.4.2"
	// TelemetryTopic is the canonical topic of the readings.
	TelemetryTopic = "telemetry"
	// IntervalKey is the desired (and reported) telemetry interval, in
	// milliseconds.
	IntervalKey = "telemetryIntervalMs"
	// MinInterval bounds what the desired state may ask for.
	MinInterval = 100 * time.Millisecond
	// SendTimeout bounds one telemetry send; a message still unsent then
	// stays in the transport's outbox and goes out after reconnecting.
	SendTimeout = 10 * time.Second
)

// Options configure a Device.
type Options struct {
	// Interval is the telemetry interval until the desired state sets one.
	Interval time.Duration
	// Logf prints what the device does.
	Logf func(format string, args ...any)
	// OnReboot is called by the reboot command (once per transaction: a
	// retry with the same TID is answered from the command server's
	// deduplication cache). It must not block: a real device stops its
	// work, answers, and lets its supervisor restart it.
	OnReboot func()
}

// Device is one sensor device. It is safe for concurrent use.
type Device struct {
	id       string
	bootID   string // tells this boot apart from the others, in answers
	logf     func(format string, args ...any)
	onReboot func()
	interval atomic.Int64 // nanoseconds
	seq      atomic.Uint64
	changed  chan struct{} // poked when the interval changes
}

// New returns the device id, configured by opts.
func New(id string, opts Options) *Device {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	d := &Device{id: id, bootID: hex.EncodeToString(b[:]), logf: opts.Logf, onReboot: opts.OnReboot, changed: make(chan struct{}, 1)}
	if d.logf == nil {
		d.logf = func(string, ...any) {}
	}
	d.interval.Store(int64(opts.Interval))
	return d
}

// ID returns the device's identity.
func (d *Device) ID() string { return d.id }

// BootID identifies this boot of the device.
func (d *Device) BootID() string { return d.bootID }

// Interval returns the current telemetry interval.
func (d *Device) Interval() time.Duration { return time.Duration(d.interval.Load()) }

// Reported is the state the device reports when it starts.
func (d *Device) Reported() map[string]any {
	return map[string]any{
		"firmware":  Version,
		"bootId":    d.bootID,
		IntervalKey: d.Interval().Milliseconds(),
	}
}

// ApplyDesired applies the desired members the device knows in changed
// and returns what to report back, or nil when there is nothing to report.
func (d *Device) ApplyDesired(changed map[string]any) map[string]any {
	v, ok := changed[IntervalKey]
	if !ok || v == nil { // nil: the desired member was removed; keep going as we are
		return nil
	}
	ms, ok := number(v)
	if !ok || time.Duration(ms)*time.Millisecond < MinInterval {
		d.logf("desired %s=%v refused (at least %v); still reporting %d", IntervalKey, v, MinInterval, d.Interval().Milliseconds())
		return map[string]any{IntervalKey: d.Interval().Milliseconds()}
	}
	d.interval.Store(int64(time.Duration(ms) * time.Millisecond))
	select {
	case d.changed <- struct{}{}:
	default:
	}
	d.logf("desired %s=%d applied", IntervalKey, ms)
	return map[string]any{IntervalKey: ms}
}

// Sender is what telemetry needs of a transport.
type Sender interface {
	Send(ctx context.Context, msg transport.Message) error
}

// jsonProperties tell Azure IoT Hub's message routing that the body is
// JSON. MQTT 3.1.1 on AWS IoT Core has no place for them: the AWS examples
// set awsiot.PropertiesIgnore so that the same firmware runs there.
var jsonProperties = transport.Properties{ContentType: "application/json", ContentEncoding: "utf-8"}

// reading is one telemetry message.
type reading struct {
	Device      string  `json:"device"`
	Seq         uint64  `json:"seq"`
	Temperature float64 `json:"temperature"`
	Humidity    float64 `json:"humidity"`
}

func (d *Device) read() reading {
	n := d.seq.Add(1)
	// Plausible values that move a little.
	return reading{
		Device:      d.id,
		Seq:         n,
		Temperature: math.Round((21+math.Sin(float64(n)/5))*10) / 10,
		Humidity:    math.Round((40+3*math.Cos(float64(n)/7))*10) / 10,
	}
}

// RunTelemetry sends a reading at QoS 1 every interval until ctx ends, and
// then returns nil. A reading the cloud has not acknowledged within
// SendTimeout stays queued in the transport's outbox.
func (d *Device) RunTelemetry(ctx context.Context, tr Sender) error {
	for {
		payload, err := json.Marshal(d.read())
		if err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, SendTimeout)
		err = tr.Send(sctx, transport.Message{Topic: TelemetryTopic, Payload: payload, QoS: 1, Properties: jsonProperties})
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, transport.ErrQueued):
			d.logf("telemetry queued until the connection is back")
		case err != nil:
			d.logf("telemetry not sent: %v", err)
		}
		t := time.NewTimer(d.Interval())
		select {
		case <-t.C:
		case <-d.changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// number reads a whole JSON number however it was decoded.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case float64:
		return int64(n), n == math.Trunc(n) && math.Abs(n) < 1<<53
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
