package shadow_test

import (
	"errors"
	"testing"

	"github.com/tether-iot/tether/internal/shadowdoc"
	"github.com/tether-iot/tether/shadow"
)

// TestModifyRetriesOnConflict checks the read-modify-write: a concurrent
// change makes the first write conflict; the retry sees it and succeeds.
func TestModifyRetriesOnConflict(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	if _, err := c.UpdateReported(ctx, map[string]any{"count": 1}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	acc, err := c.Modify(ctx, func(doc shadow.Document) (shadow.Update, error) {
		calls++
		if calls == 1 { // another writer gets in between
			if _, err := h.svc.Update(thing, "", &shadowdoc.UpdateRequest{State: shadowdoc.UpdateState{
				Reported: shadowdoc.Patch(map[string]any{"count": 10})}}); err != nil {
				t.Fatal(err)
			}
		}
		var r struct{ Count int }
		if err := doc.DecodeReported(&r); err != nil {
			return shadow.Update{}, err
		}
		return shadow.Update{Reported: map[string]any{"count": r.Count + 1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || acc.Version != 3 || num(acc.Reported["count"]) != "11" {
		t.Errorf("calls %d, accepted %+v", calls, acc)
	}
	if doc, _ := h.svc.Document(thing, ""); num(doc.State.Reported["count"]) != "11" {
		t.Errorf("stored count %v", doc.State.Reported["count"])
	}
}

// TestModifyGivesUp checks the bounded retries and the conflict returned.
func TestModifyGivesUp(t *testing.T) {
	h := newHarness(t)
	c := h.start(shadow.WithMaxConflictRetries(2))
	ctx := h.ctx()
	if _, err := c.UpdateReported(ctx, map[string]any{"seen": 0}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, err := c.Modify(ctx, func(doc shadow.Document) (shadow.Update, error) {
		calls++
		// Always changed by someone else before the write.
		if _, err := h.svc.SetDesired(thing, "", map[string]any{"n": calls}); err != nil {
			t.Fatal(err)
		}
		return shadow.Update{Reported: map[string]any{"seen": doc.Version}}, nil
	})
	var e *shadow.Error
	if !errors.As(err, &e) || !errors.Is(err, shadow.ErrVersionConflict) || e.Current == nil {
		t.Fatalf("err = %v, want a conflict with the current document", err)
	}
	if calls != 3 {
		t.Errorf("fn called %d times, want 1 + 2 retries", calls)
	}
}

// TestModifyNoChangeAndError checks a zero Update and an error from fn.
func TestModifyNoChangeAndError(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	acc, err := c.Modify(ctx, func(doc shadow.Document) (shadow.Update, error) {
		if doc.Version != 0 {
			t.Errorf("no shadow: version %d", doc.Version)
		}
		return shadow.Update{}, nil
	})
	if acc != nil || err != nil {
		t.Errorf("zero update: %v, %v", acc, err)
	}
	boom := errors.New("boom")
	if _, err := c.Modify(ctx, func(shadow.Document) (shadow.Update, error) { return shadow.Update{}, boom }); err != boom {
		t.Errorf("fn error: %v", err)
	}
	if n := h.ft.published("/update"); n != 0 {
		t.Errorf("%d updates published", n)
	}
}
