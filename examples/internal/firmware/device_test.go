package firmware

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestApplyDesired checks which desired intervals the device applies and
// what it reports back, however the number was decoded.
func TestApplyDesired(t *testing.T) {
	const start = 10 * time.Second
	tests := []struct {
		name         string
		changed      map[string]any
		wantReport   map[string]any
		wantInterval time.Duration
	}{
		{"json.Number (shadow, twin)", map[string]any{IntervalKey: json.Number("250")}, map[string]any{IntervalKey: int64(250)}, 250 * time.Millisecond},
		{"float64", map[string]any{IntervalKey: 500.0}, map[string]any{IntervalKey: int64(500)}, 500 * time.Millisecond},
		{"below the minimum: refused, current reported", map[string]any{IntervalKey: json.Number("10")}, map[string]any{IntervalKey: int64(10000)}, start},
		{"not a whole number: refused", map[string]any{IntervalKey: json.Number("2.5")}, map[string]any{IntervalKey: int64(10000)}, start},
		{"not a number: refused", map[string]any{IntervalKey: "fast"}, map[string]any{IntervalKey: int64(10000)}, start},
		{"removed: nothing to do", map[string]any{IntervalKey: nil}, nil, start},
		{"unknown members: nothing to do", map[string]any{"color": "red"}, nil, start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New("d1", Options{Interval: start})
			if got := d.ApplyDesired(tt.changed); !reflect.DeepEqual(got, tt.wantReport) {
				t.Errorf("report %#v, want %#v", got, tt.wantReport)
			}
			if got := d.Interval(); got != tt.wantInterval {
				t.Errorf("interval %v, want %v", got, tt.wantInterval)
			}
		})
	}
}
