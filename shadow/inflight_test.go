package shadow_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/shadow"
)

// TestInFlightLimit checks that at most 10 requests are in flight: the
// others wait, and are sent as slots free.
func TestInFlightLimit(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond)
	h.svc.Hold(thing)
	var wg sync.WaitGroup
	errs := make(chan error, 15)
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateReported(ctx, map[string]any{"n": i})
			errs <- err
		}()
	}
	eventually(t, "10 requests in flight", func() bool { return h.svc.Held(thing) == shadow.DefaultMaxInFlight })
	time.Sleep(30 * time.Millisecond)
	if n := h.ft.published("/update"); n != shadow.DefaultMaxInFlight {
		t.Errorf("%d updates published while 10 are in flight", n)
	}
	h.ft.release(h.svc.Release(thing)...)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := h.ft.published("/update"); n != 15 {
		t.Errorf("%d updates published, want 15", n)
	}
	eventually(t, "version 15", func() bool { return docVersion(c) == 15 })
}

// TestContextCancellation checks ctx while waiting for a response and while
// waiting for a slot, and that a cancelled request frees its slot.
func TestContextCancellation(t *testing.T) {
	h := newHarness(t)
	c := h.start(shadow.WithMaxInFlight(1))
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond)
	h.ft.setCapture(true)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.UpdateReported(ctx, map[string]any{"a": 1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for the response: %v", err)
	}

	// The slot is free again: hold one request, and time out waiting for a slot.
	first := make(chan error, 1)
	go func() { _, err := c.UpdateReported(h.ctx(), map[string]any{"a": 2}); first <- err }()
	eventually(t, "second update sent", func() bool { return h.ft.published("/update") == 2 })
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Get(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a slot: %v", err)
	}
	if n := h.ft.published("/get"); n != 1 {
		t.Errorf("a request that got no slot was published")
	}
	// Late responses: the first is answered, the timed-out one is ignored.
	h.ft.setCapture(false)
	h.ft.release(h.ft.takeCaptured()...)
	if err := <-first; err != nil {
		t.Error(err)
	}
	eventually(t, "version 2 applied", func() bool { return docVersion(c) == 2 })
}

// TestConnectionLost checks that a request waiting for its response fails
// with ErrConnectionLost when the connection drops, and that requests fail
// at once while disconnected.
func TestConnectionLost(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	h.ft.setCapture(true)
	done := make(chan error, 1)
	go func() { _, err := c.UpdateReported(h.ctx(), map[string]any{"a": 1}); done <- err }()
	eventually(t, "update sent", func() bool { return h.ft.published("/update") == 1 })
	h.ft.disconnect()
	if err := <-done; !errors.Is(err, shadow.ErrConnectionLost) {
		t.Errorf("err = %v, want ErrConnectionLost", err)
	}
	if _, err := c.Get(h.ctx()); !errors.Is(err, errFakeNotConnected) {
		t.Errorf("Get while disconnected: %v", err)
	}
	h.ft.setCapture(false)
	h.ft.reconnect()
	// The update was applied by the service: the reconnect GET finds it.
	eventually(t, "document after reconnect", func() bool { return docVersion(c) == 1 })
}

// TestClose checks that Close fails the requests in flight, refuses new
// ones, stops handler calls and leaves no goroutine (the harness checks
// leaks after the test).
func TestClose(t *testing.T) {
	h := newHarness(t)
	c, err := shadow.New(h.ctx(), h.ft, shadow.WithDeltaHandler(h.recordDelta))
	if err != nil {
		t.Fatal(err)
	}
	h.ft.setCapture(true)
	done := make(chan error, 1)
	go func() { _, err := c.UpdateReported(h.ctx(), map[string]any{"a": 1}); done <- err }()
	eventually(t, "update sent", func() bool { return h.ft.published("/update") == 1 })
	if err := c.Close(h.ctx()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, shadow.ErrClosed) {
		t.Errorf("request in flight: %v, want ErrClosed", err)
	}
	if _, err := c.Get(h.ctx()); !errors.Is(err, shadow.ErrClosed) {
		t.Errorf("request after Close: %v", err)
	}
	if err := c.Close(h.ctx()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	h.ft.setCapture(false)
	h.setDesired(map[string]any{"a": 2})
	h.noDelta(30 * time.Millisecond)
}

// TestCloseWaitsForHandler checks that Close cancels a running handler's
// ctx and waits for it, bounded by its own ctx.
func TestCloseWaitsForHandler(t *testing.T) {
	h := newHarness(t)
	entered := make(chan struct{})
	unblock := make(chan struct{})
	c, err := shadow.New(h.ctx(), h.ft, shadow.WithDeltaHandler(func(ctx context.Context, _ shadow.Delta) {
		close(entered)
		<-unblock
		<-ctx.Done()
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.setDesired(map[string]any{"a": 1})
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stuck handler: %v", err)
	}
	close(unblock)
	// A second Close returns at once; the handler has returned by the
	// time the leak check runs (its ctx is cancelled).
	if err := c.Close(h.ctx()); err != nil {
		t.Error(err)
	}
}
