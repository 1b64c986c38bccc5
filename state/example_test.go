package state_test

import (
	"context"
	"fmt"
	"sort"

	"github.com/tether-iot/tether/state"
)

// thermostat is firmware written against state.Syncer only: it applies a
// desired set point and reports what it applied. It runs unchanged on a
// shadow.Client (AWS) or a twin.Client (Azure).
func thermostat(s state.Syncer) {
	s.OnDesired(func(ctx context.Context, d state.Desired) {
		if sp, ok := d.Changed["setPoint"].(float64); ok {
			fmt.Printf("desired version %d: set point %.1f\n", d.Version, sp)
			if err := s.Report(ctx, map[string]any{"setPoint": sp}); err != nil {
				fmt.Println("report:", err)
			}
		}
	})
}

// memorySyncer is an in-memory state.Syncer, the kind of fake that unit
// tests of such firmware use (the awsiottest and azureiottest emulators
// serve the real shadow and twin protocols).
type memorySyncer struct {
	desired  state.Desired
	reported map[string]any
	onChange func(ctx context.Context, d state.Desired)
}

func (m *memorySyncer) Report(_ context.Context, reported map[string]any) error {
	for k, v := range reported {
		if v == nil {
			delete(m.reported, k)
			continue
		}
		m.reported[k] = v
	}
	return nil
}

func (m *memorySyncer) Desired(context.Context) (state.Desired, error) { return m.desired, nil }

func (m *memorySyncer) OnDesired(fn func(ctx context.Context, d state.Desired)) { m.onChange = fn }

// setDesired plays the cloud: it changes the desired state and notifies
// the device.
func (m *memorySyncer) setDesired(changed map[string]any) {
	m.desired.Version++
	for k, v := range changed {
		m.desired.State[k] = v
	}
	m.desired.Changed = changed
	if m.onChange != nil {
		m.onChange(context.Background(), m.desired)
	}
}

// Firmware written against Syncer keeps its state in sync with whichever
// cloud the Syncer speaks to.
func ExampleSyncer() {
	s := &memorySyncer{desired: state.Desired{State: map[string]any{}}, reported: map[string]any{}}
	thermostat(s)

	s.setDesired(map[string]any{"setPoint": 21.5})
	s.setDesired(map[string]any{"setPoint": 19.0})

	keys := make([]string, 0, len(s.reported))
	for k := range s.reported {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("reported %s=%v\n", k, s.reported[k])
	}
	// Output:
	// desired version 1: set point 21.5
	// desired version 2: set point 19.0
	// reported setPoint=19
}
