package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestQuickstart runs the whole tour, as `go run ./examples/quickstart`
// does, and checks that every step reported success.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), tourTimeout)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	if err := run(ctx, &out); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "quickstart: every step worked") {
		t.Fatalf("no success line:\n%s", out.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("quickstart took %v; it must stay within a few seconds", d)
	}
	t.Log(out.String())
}
