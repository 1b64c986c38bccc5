package firmware

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

// ErrNoSyncer is returned by Run without a state.Syncer.
var ErrNoSyncer = errors.New("firmware: nil state.Syncer")

// Run is the thermostat's firmware: it follows the desired setpoint s
// delivers, reports the setpoint and the room's temperature to s, and
// moves the temperature toward the setpoint every cfg.Tick. It runs until
// ctx ends and returns ctx's error; it stops its calls from s (OnDesired
// with nil) before returning. Nothing in it names a cloud.
func Run(ctx context.Context, s state.Syncer, cfg Config) error {
	if s == nil {
		return ErrNoSyncer
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	in := newInbox()
	s.OnDesired(func(_ context.Context, d state.Desired) { in.put(d) })
	defer s.OnDesired(nil)
	// Read the desired state once too: on AWS a setpoint the device has
	// reported already is no delta, so no OnDesired call brings it.
	read := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(read)
		if d, err := s.Desired(ctx); err == nil {
			in.put(d)
		} else if ctx.Err() == nil {
			cfg.Logger.Warn("firmware: reading the desired state failed; waiting for changes", "err", err)
		}
	}()

	th := thermostat{cfg: cfg, s: s, temperature: cfg.Temperature, setpoint: cfg.Temperature, applied: -1,
		pending: map[string]any{TemperatureKey: cfg.Temperature}}
	ticker := time.NewTicker(cfg.Tick)
	defer ticker.Stop()
	for {
		th.flush(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-in.signal:
			if d, ok := in.take(); ok {
				th.desired(d)
			}
		case <-read:
			// The initial setpoint is reported once the cloud had its say:
			// reporting the default first would make AWS send a delta
			// back to the cloud's value.
			read = nil
			if th.applied < 0 {
				th.pending[SetpointKey] = th.setpoint
			}
		case <-ticker.C:
			th.tick(ctx)
		}
	}
}

// thermostat is Run's state; only Run's goroutine uses it.
type thermostat struct {
	cfg         Config
	s           state.Syncer
	temperature float64
	setpoint    float64
	applied     int64          // version of the last desired state applied; -1: none
	pending     map[string]any // reported state not sent yet
}

// desired applies the setpoint of a desired state newer than the one
// applied (the initial read and a notification may bring the same one).
func (t *thermostat) desired(d state.Desired) {
	sp, ok := Setpoint(d.State)
	if !ok || d.Version <= t.applied {
		return
	}
	t.applied = d.Version
	// Reported even when unchanged: on AWS the delta says the cloud's
	// reported setpoint differs.
	t.pending[SetpointKey] = sp
	if sp == t.setpoint {
		return
	}
	t.setpoint = sp
	if t.cfg.OnSetpoint != nil {
		t.cfg.OnSetpoint(sp, d.Version)
	}
}

// tick moves the temperature and sends it as telemetry.
func (t *thermostat) tick(ctx context.Context) {
	next := Approach(t.temperature, t.setpoint, t.cfg.Step)
	if next == t.temperature {
		return
	}
	t.temperature = next
	t.pending[TemperatureKey] = next
	if t.cfg.Telemetry == nil {
		return
	}
	payload, err := json.Marshal(map[string]float64{TemperatureKey: next})
	if err != nil { // cannot happen: Approach returns finite numbers
		return
	}
	sctx, cancel := context.WithTimeout(ctx, t.cfg.ReportTimeout)
	defer cancel()
	msg := transport.Message{Topic: TelemetryTopic, Payload: payload, QoS: 0,
		Properties: transport.Properties{ContentType: "application/json", ContentEncoding: "utf-8"}}
	if err := t.cfg.Telemetry.Send(sctx, msg); err != nil && ctx.Err() == nil {
		t.cfg.Logger.Debug("firmware: telemetry not sent", "err", err)
	}
}

// flush reports what changed since the last successful report; on failure
// it is kept, merged with later changes, for the next try.
func (t *thermostat) flush(ctx context.Context) {
	if len(t.pending) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, t.cfg.ReportTimeout)
	defer cancel()
	if err := t.s.Report(rctx, maps.Clone(t.pending)); err != nil {
		if ctx.Err() == nil {
			t.cfg.Logger.Warn("firmware: report failed; retrying at the next tick", "err", err)
		}
		return
	}
	clear(t.pending)
}

// inbox keeps the newest desired state (by version) for Run's goroutine;
// the Syncer's handler and the initial read both put into it.
type inbox struct {
	mu     sync.Mutex
	d      state.Desired
	full   bool
	signal chan struct{}
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (b *inbox) put(d state.Desired) {
	b.mu.Lock()
	if !b.full || d.Version >= b.d.Version {
		b.d, b.full = d, true
	}
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

func (b *inbox) take() (state.Desired, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.d, b.full
	b.d, b.full = state.Desired{}, false
	return d, ok
}
