package awsiot

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/transport"
)

func TestLoopDetector(t *testing.T) {
	var logs bytes.Buffer
	var reports []error
	l := newLoopDetector("thing1", slog.New(slog.NewTextHandler(&logs, nil)), func(err error) { reports = append(reports, err) })
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cycle := func(up time.Duration) {
		l.observe(transport.Event{Kind: transport.EventConnected, Time: now})
		now = now.Add(up)
		l.observe(transport.Event{Kind: transport.EventConnectionLost, Time: now, Err: errors.New("EOF")})
		now = now.Add(time.Second)
	}

	cycle(time.Second)
	cycle(time.Second)
	cycle(time.Hour) // a healthy connection resets the count
	cycle(time.Second)
	cycle(time.Second)
	if len(reports) != 0 {
		t.Fatalf("reported after 2 short connections: %v", reports)
	}
	cycle(time.Second)
	if len(reports) != 1 || !errors.Is(reports[0], ErrConnectionLoop) || !strings.Contains(reports[0].Error(), `"thing1"`) {
		t.Fatalf("reports = %v", reports)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "client ID") {
		t.Fatalf("log = %q", logs.String())
	}
	for i := 0; i < 3; i++ {
		cycle(time.Second)
	}
	if len(reports) != 2 {
		t.Fatalf("%d reports after 6 short connections, want 2", len(reports))
	}
	for i := 0; i < 5; i++ {
		cycle(time.Second)
	}
	if len(reports) != 2 {
		t.Fatalf("%d reports after 11 short connections, want 2 (next at 12)", len(reports))
	}
	cycle(time.Second)
	if len(reports) != 3 {
		t.Fatalf("%d reports after 12 short connections, want 3", len(reports))
	}
	// A loss without a connection (connect failures) changes nothing.
	l.observe(transport.Event{Kind: transport.EventConnectionLost, Time: now})
	if len(reports) != 3 {
		t.Fatalf("a loss while not connected was counted")
	}
}
