package firmware_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/examples/thermostat/firmware"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

func TestApproach(t *testing.T) {
	tests := []struct {
		name                  string
		current, target, step float64
		want                  float64
	}{
		{"up", 20, 22.5, 0.5, 20.5},
		{"down", 20, 18, 0.5, 19.5},
		{"reaches the target within a step", 22.3, 22.5, 0.5, 22.5},
		{"reaches it from above", 18.2, 18, 0.5, 18},
		{"at the target", 21, 21, 0.5, 21},
		{"exactly one step away", 21, 21.5, 0.5, 21.5},
		{"rounds float noise", 0.1, 1, 0.2, 0.3},
		{"negative temperatures", -5, -10, 1, -6},
	}
	for _, tt := range tests {
		if got := firmware.Approach(tt.current, tt.target, tt.step); got != tt.want {
			t.Errorf("%s: Approach(%v, %v, %v) = %v, want %v", tt.name, tt.current, tt.target, tt.step, got, tt.want)
		}
	}
}

func TestSetpoint(t *testing.T) {
	tests := []struct {
		name    string
		desired map[string]any
		want    float64
		ok      bool
	}{
		{"json.Number", map[string]any{"setpoint": json.Number("22.5")}, 22.5, true},
		{"float64", map[string]any{"setpoint": 19.0}, 19, true},
		{"int", map[string]any{"setpoint": 21}, 21, true},
		{"int64", map[string]any{"setpoint": int64(-3)}, -3, true},
		{"float32", map[string]any{"setpoint": float32(20.5)}, 20.5, true},
		{"uint", map[string]any{"setpoint": uint(7)}, 7, true},
		{"missing", map[string]any{"mode": "eco"}, 0, false},
		{"nil map", nil, 0, false},
		{"deleted", map[string]any{"setpoint": nil}, 0, false},
		{"string", map[string]any{"setpoint": "22"}, 0, false},
		{"object", map[string]any{"setpoint": map[string]any{"c": 1}}, 0, false},
		{"bad json.Number", map[string]any{"setpoint": json.Number("x")}, 0, false},
		{"huge json.Number", map[string]any{"setpoint": json.Number("1e999")}, 0, false},
	}
	for _, tt := range tests {
		got, ok := firmware.Setpoint(tt.desired)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Setpoint = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// memSyncer is an in-memory state.Syncer: the cloud side sets desired
// states, the firmware reports.
type memSyncer struct {
	mu          sync.Mutex
	desired     state.Desired
	reported    map[string]any
	reports     int
	failReports int           // the next reports fail
	gate        chan struct{} // when set, Desired waits for it to close
	handler     func(context.Context, state.Desired)
	changed     chan struct{}
}

func newMemSyncer() *memSyncer {
	return &memSyncer{reported: map[string]any{}, changed: make(chan struct{}, 1)}
}

func (m *memSyncer) Report(ctx context.Context, reported map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reports++
	if m.failReports > 0 {
		m.failReports--
		return errors.New("offline")
	}
	maps.Copy(m.reported, reported)
	return nil
}

func (m *memSyncer) Desired(ctx context.Context) (state.Desired, error) {
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return state.Desired{}, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return state.Desired{Version: m.desired.Version, State: maps.Clone(m.desired.State)}, nil
}

func (m *memSyncer) OnDesired(fn func(ctx context.Context, d state.Desired)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handler = fn
}

// set changes the desired state and, if notify, calls the handler.
func (m *memSyncer) set(version int64, desired map[string]any, notify bool) {
	m.mu.Lock()
	m.desired = state.Desired{Version: version, State: desired, Changed: desired}
	fn := m.handler
	m.mu.Unlock()
	if notify && fn != nil {
		fn(context.Background(), state.Desired{Version: version, State: maps.Clone(desired), Changed: maps.Clone(desired)})
	}
}

func (m *memSyncer) hasHandler() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.handler != nil
}

func (m *memSyncer) get(key string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reported[key]
}

// run starts the firmware; it is stopped, and checked, when the test ends.
func run(t *testing.T, s state.Syncer, cfg firmware.Config) {
	t.Helper()
	leakcheck.Check(t)
	if cfg.Tick == 0 {
		cfg.Tick = time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- firmware.Run(ctx, s, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunFollowsTheSetpoint(t *testing.T) {
	s := newMemSyncer()
	applied := make(chan float64, 10)
	run(t, s, firmware.Config{OnSetpoint: func(sp float64, _ int64) { applied <- sp }})
	eventually(t, "the initial report", func() bool { return s.get("setpoint") == 20.0 && s.get("temperature") == 20.0 })
	eventually(t, "the handler", s.hasHandler)

	s.set(2, map[string]any{"setpoint": json.Number("22.5")}, true)
	if sp := <-applied; sp != 22.5 {
		t.Fatalf("applied %v", sp)
	}
	eventually(t, "the reported setpoint and temperature", func() bool {
		return s.get("setpoint") == 22.5 && s.get("temperature") == 22.5
	})
}

func TestRunReadsTheDesiredStateAtStart(t *testing.T) {
	s := newMemSyncer()
	s.set(7, map[string]any{"setpoint": 18}, false) // no notification will come
	run(t, s, firmware.Config{})
	eventually(t, "the setpoint read at start", func() bool {
		return s.get("setpoint") == 18.0 && s.get("temperature") == 18.0
	})
}

func TestRunIgnoresOlderDesiredStates(t *testing.T) {
	s := newMemSyncer()
	applied := make(chan int64, 10)
	run(t, s, firmware.Config{Tick: time.Hour, OnSetpoint: func(_ float64, v int64) { applied <- v }})
	eventually(t, "the handler", s.hasHandler)
	s.set(5, map[string]any{"setpoint": 25}, true)
	if v := <-applied; v != 5 {
		t.Fatalf("applied version %d", v)
	}
	s.set(5, map[string]any{"setpoint": 30}, true) // the same version again
	s.set(3, map[string]any{"setpoint": 10}, true)
	s.set(7, map[string]any{"setpoint": 25}, true) // newer, but no change
	s.set(6, map[string]any{"mode": "eco"}, true)  // no setpoint: nothing to apply
	select {
	case v := <-applied:
		t.Fatalf("applied version %d", v)
	case <-time.After(20 * time.Millisecond):
	}
	eventually(t, "the setpoint of version 5", func() bool { return s.get("setpoint") == 25.0 })
}

// The default setpoint is reported only once the initial read of the
// desired state is over, and only if it brought none.
func TestRunReportsTheDefaultSetpointAfterTheInitialRead(t *testing.T) {
	s := newMemSyncer()
	s.gate = make(chan struct{})
	run(t, s, firmware.Config{})
	eventually(t, "the initial temperature", func() bool { return s.get("temperature") == 20.0 })
	time.Sleep(10 * time.Millisecond)
	if sp := s.get("setpoint"); sp != nil {
		t.Fatalf("setpoint %v reported before the desired state was read", sp)
	}
	close(s.gate)
	eventually(t, "the default setpoint", func() bool { return s.get("setpoint") == 20.0 })
}

func TestRunRetriesFailedReports(t *testing.T) {
	s := newMemSyncer()
	s.failReports = 3
	run(t, s, firmware.Config{})
	eventually(t, "the report after the failures", func() bool { return s.get("setpoint") == 20.0 })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reports < 4 {
		t.Errorf("%d reports, want at least 4", s.reports)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	leakcheck.Check(t)
	s := newMemSyncer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- firmware.Run(ctx, s, firmware.Config{Tick: time.Millisecond}) }()
	eventually(t, "the handler", s.hasHandler)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if s.hasHandler() {
		t.Error("the handler is still set after Run returned")
	}
}

func TestRunWithoutSyncer(t *testing.T) {
	if err := firmware.Run(context.Background(), nil, firmware.Config{}); !errors.Is(err, firmware.ErrNoSyncer) {
		t.Fatalf("Run(nil) = %v", err)
	}
}

// telemetry records what Send gets; the other methods are not used.
type telemetry struct {
	transport.Transport
	mu   sync.Mutex
	msgs []transport.Message
}

func (tr *telemetry) Send(_ context.Context, m transport.Message) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.msgs = append(tr.msgs, m)
	return nil
}

func (tr *telemetry) sent() []transport.Message {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]transport.Message(nil), tr.msgs...)
}

func TestRunSendsTelemetry(t *testing.T) {
	s := newMemSyncer()
	tr := &telemetry{}
	s.set(2, map[string]any{"setpoint": 21}, false)
	run(t, s, firmware.Config{Telemetry: tr})
	eventually(t, "two telemetry messages", func() bool { return len(tr.sent()) >= 2 })
	msgs := tr.sent()
	for i, want := range []string{`{"temperature":20.5}`, `{"temperature":21}`} {
		m := msgs[i]
		if m.Topic != firmware.TelemetryTopic || string(m.Payload) != want || m.QoS != 0 || m.Properties.ContentType != "application/json" {
			t.Errorf("telemetry %d: %s %s qos %d %+v; want %s", i, m.Topic, m.Payload, m.QoS, m.Properties, want)
		}
	}
}
