package shadow_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/shadow"
)

// TestRejections checks that each rejection of the service comes back as
// an *Error with its code, matching its sentinel.
func TestRejections(t *testing.T) {
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}
	tests := []struct {
		name     string
		opts     []shadow.Option
		setup    func(*harness, *shadow.Client)
		run      func(context.Context, *shadow.Client) error
		code     int
		sentinel error
	}{
		{"404 get", nil, nil,
			func(ctx context.Context, c *shadow.Client) error { _, err := c.Get(ctx); return err },
			404, shadow.ErrNotFound},
		{"404 delete", nil, nil,
			func(ctx context.Context, c *shadow.Client) error { return c.Delete(ctx) },
			404, shadow.ErrNotFound},
		{"409 conflict", nil, nil,
			func(ctx context.Context, c *shadow.Client) error {
				_, err := c.Update(ctx, shadow.Update{Reported: map[string]any{"a": 1}, Version: 7})
				return err
			},
			409, shadow.ErrVersionConflict},
		{"413 too large after merge", nil,
			func(h *harness, c *shadow.Client) {
				if _, err := c.UpdateReported(h.ctx(), map[string]any{"a": strings.Repeat("x", 5000)}); err != nil {
					h.t.Fatal(err)
				}
			},
			func(ctx context.Context, c *shadow.Client) error {
				_, err := c.UpdateReported(ctx, map[string]any{"b": strings.Repeat("y", 5000)})
				return err
			},
			413, shadow.ErrTooLarge},
		{"400 deeper than the service allows", []shadow.Option{shadow.WithMaxDepth(8)}, nil,
			func(ctx context.Context, c *shadow.Client) error { _, err := c.UpdateDesired(ctx, deep); return err },
			400, shadow.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.start(tc.opts...)
			if tc.setup != nil {
				tc.setup(h, c)
			}
			if _, err := c.UpdateReported(h.ctx(), map[string]any{"base": 1}); err != nil && tc.code != 413 {
				t.Fatal(err)
			}
			if tc.code == 404 {
				if err := c.Delete(h.ctx()); err != nil {
					t.Fatal(err)
				}
			}
			err := tc.run(h.ctx(), c)
			var e *shadow.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Local || e.Message == "" {
				t.Fatalf("err = %#v, want a service *Error %d", err, tc.code)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if e.SafeToRetry() {
				t.Errorf("%d is not safe to retry", e.Code)
			}
			if tc.code == 409 {
				if e.Current == nil || e.Current.Version != 1 || num(e.Current.Reported["base"]) != "1" {
					t.Errorf("conflict carries %+v, want the current document", e.Current)
				}
			}
		})
	}
}

// TestTooManyRequests checks a 429 from the service: the 11th request of a
// thing in flight.
func TestTooManyRequests(t *testing.T) {
	h := newHarness(t)
	c := h.start(shadow.WithMaxInFlight(11))
	ctx := h.ctx()
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	h.svc.Hold(thing)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateReported(ctx, map[string]any{"n": i})
			errs <- err
		}()
	}
	eventually(t, "10 requests held", func() bool { return h.svc.Held(thing) == 10 })
	_, err := c.UpdateReported(ctx, map[string]any{"n": 10})
	var e *shadow.Error
	if !errors.As(err, &e) || e.Code != 429 || !errors.Is(err, shadow.ErrTooManyRequests) || !e.SafeToRetry() {
		t.Errorf("11th request: %v", err)
	}
	h.ft.release(h.svc.Release(thing)...)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestOtherRejectionCodes checks that a code without a sentinel is still
// an *Error with its code.
func TestOtherRejectionCodes(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	h.ft.setFilter(func(p shadowsvc.Publish) []shadowsvc.Publish {
		if !strings.HasSuffix(p.Topic, "/update/accepted") {
			return []shadowsvc.Publish{p}
		}
		tok := p.Payload[strings.Index(string(p.Payload), `"clientToken":"`):]
		tok = tok[:strings.Index(string(tok), `"}`)+2]
		return []shadowsvc.Publish{{Topic: strings.Replace(p.Topic, "accepted", "rejected", 1),
			Payload: []byte(`{"code":403,"message":"Forbidden",` + string(tok))}}
	})
	_, err := c.UpdateReported(h.ctx(), map[string]any{"a": 1})
	var e *shadow.Error
	if !errors.As(err, &e) || e.Code != 403 || e.Op != "update" || errors.Is(err, shadow.ErrBadRequest) {
		t.Errorf("err = %v", err)
	}
	if got := err.Error(); got != "shadow: update rejected: 403 Forbidden" {
		t.Errorf("message %q", got)
	}
}

// TestLocalChecks checks each refusal before sending: a local *Error and
// nothing published.
func TestLocalChecks(t *testing.T) {
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}
	tests := []struct {
		name     string
		opts     []shadow.Option
		update   shadow.Update
		code     int
		sentinel error
	}{
		{"too deep", nil, shadow.Update{Desired: deep}, 400, shadow.ErrBadRequest},
		{"too deep for a configured depth", []shadow.Option{shadow.WithMaxDepth(2)}, shadow.Update{Reported: map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}}, 400, shadow.ErrBadRequest},
		{"null in an array", nil, shadow.Update{Reported: map[string]any{"l": []any{1, nil}}}, 400, shadow.ErrBadRequest},
		{"over 8 KiB", nil, shadow.Update{Reported: map[string]any{"blob": strings.Repeat("x", 8192)}}, 413, shadow.ErrTooLarge},
		{"over 8 KiB across sections", nil, shadow.Update{Desired: map[string]any{"a": strings.Repeat("x", 4096)}, Reported: map[string]any{"a": strings.Repeat("x", 4096)}}, 413, shadow.ErrTooLarge},
		{"clientToken too long", []shadow.Option{shadow.WithClientToken(func() string { return strings.Repeat("t", 65) })}, shadow.Update{Reported: map[string]any{"a": 1}}, 400, shadow.ErrBadRequest},
		{"empty update", nil, shadow.Update{}, 400, shadow.ErrBadRequest},
		{"not an object", nil, shadow.Update{Reported: 5}, 400, shadow.ErrBadRequest},
		{"nil map pointer", nil, shadow.Update{Reported: (*map[string]any)(nil)}, 400, shadow.ErrBadRequest},
		{"set and cleared", nil, shadow.Update{Desired: map[string]any{"a": 1}, ClearDesired: true}, 400, shadow.ErrBadRequest},
		{"not JSON", nil, shadow.Update{Reported: map[string]any{"x": math.NaN()}}, 400, shadow.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.start(tc.opts...)
			_, err := c.Update(h.ctx(), tc.update)
			var e *shadow.Error
			if !errors.As(err, &e) || !e.Local || e.Code != tc.code || !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want a local %d", err, tc.code)
			}
			if !strings.Contains(err.Error(), "refused before sending") {
				t.Errorf("message %q", err)
			}
			if n := h.ft.published("/update"); n != 0 {
				t.Errorf("%d updates published", n)
			}
		})
	}
}

// TestDuplicateClientToken checks that a token already in flight is refused.
func TestDuplicateClientToken(t *testing.T) {
	h := newHarness(t)
	c := h.start(shadow.WithClientToken(func() string { return "same" }))
	eventually(t, "initial GET answered", func() bool { return h.ft.published("/get") == 1 })
	ctx := h.ctx()
	if _, err := c.Get(ctx); !errors.Is(err, shadow.ErrNotFound) { // the initial GET is answered by now
		t.Fatal(err)
	}
	h.ft.setCapture(true)
	done := make(chan error, 1)
	go func() { _, err := c.UpdateReported(ctx, map[string]any{"a": 1}); done <- err }()
	eventually(t, "update sent", func() bool { return h.ft.published("/update") == 1 })
	_, err := c.UpdateReported(ctx, map[string]any{"a": 2})
	var e *shadow.Error
	if !errors.As(err, &e) || !e.Local {
		t.Errorf("second request with the same token: %v", err)
	}
	h.ft.setCapture(false)
	h.ft.release(h.ft.takeCaptured()...)
	if err := <-done; err != nil {
		t.Error(err)
	}
}
