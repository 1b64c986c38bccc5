// Package scenario holds what the examples' -emulate scenarios share:
// waiting for something the emulated cloud observes.
//
// It is example code, not part of tether's API.
package scenario

import (
	"context"
	"fmt"
	"time"
)

// PollInterval is how often WaitFor checks its condition.
const PollInterval = 10 * time.Millisecond

// WaitFor checks cond every PollInterval until it holds, and fails with
// what in the error if ctx ends first.
func WaitFor(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Hold returns once d has passed since start, or ctx ended: an emulated
// run lasts at least its -duration.
func Hold(ctx context.Context, start time.Time, d time.Duration) {
	t := time.NewTimer(time.Until(start.Add(d)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
