package shadow_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/state"
)

type fanState struct {
	Speed int    `json:"speed"`
	Mode  string `json:"mode,omitempty"`
}

// TestRequests runs get, update and delete against the service.
func TestRequests(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()

	if _, err := c.Get(ctx); !errors.Is(err, shadow.ErrNotFound) {
		t.Fatalf("Get of no shadow: %v, want ErrNotFound", err)
	}
	acc, err := c.UpdateReported(ctx, map[string]any{"fan": fanState{Speed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Version != 1 || num(acc.Reported["fan"].(map[string]any)["speed"]) != "2" || acc.Timestamp.Unix() != 1700000000 {
		t.Errorf("accepted = %+v", acc)
	}
	if _, err := c.UpdateDesired(ctx, map[string]any{"fan": fanState{Speed: 3, Mode: "eco"}}); err != nil {
		t.Fatal(err)
	}
	doc, err := c.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Fan fanState }
	if err := doc.DecodeDesired(&want); err != nil || want.Fan != (fanState{3, "eco"}) {
		t.Errorf("desired = %+v (%v)", want, err)
	}
	if doc.Version != 2 || doc.Delta == nil || doc.Metadata.Reported == nil {
		t.Errorf("document = %+v", doc)
	}
	if local, ok := c.Document(); !ok || local.Version != 2 {
		t.Errorf("Document() = %+v, %v", local, ok)
	}

	if err := c.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Document(); ok {
		t.Error("Document() after Delete")
	}
	if err := c.Delete(ctx); !errors.Is(err, shadow.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	// Versions continue after a delete.
	if acc, err := c.Update(ctx, shadow.Update{Reported: map[string]any{"on": true}}); err != nil || acc.Version != 3 {
		t.Errorf("update after delete: %+v, %v", acc, err)
	}
	eventually(t, "document version 3", func() bool { return docVersion(c) == 3 })
}

// TestClearSections checks ClearDesired and ClearReported.
func TestClearSections(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	if _, err := c.Update(ctx, shadow.Update{Desired: map[string]any{"a": 1}, Reported: map[string]any{"b": 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, shadow.Update{ClearDesired: true}); err != nil {
		t.Fatal(err)
	}
	doc, _ := h.svc.Document(thing, "")
	if doc.State.Desired != nil || doc.State.Reported == nil {
		t.Errorf("after ClearDesired: %+v", doc.State)
	}
	eventually(t, "local document without desired", func() bool {
		d, ok := c.Document()
		return ok && d.Version == 2 && d.Desired == nil && d.Reported != nil
	})
}

// TestSubscriptions checks the topics the client subscribes to: only those
// it uses, never shadow/#, and none left after Close.
func TestSubscriptions(t *testing.T) {
	tests := []struct {
		name   string
		opts   []shadow.Option
		prefix string
		docs   bool
	}{
		{"classic", nil, classic, false},
		{"named", []shadow.Option{shadow.WithName("cfg")}, named, false},
		{"documents", []shadow.Option{shadow.WithDocumentsHandler(func(context.Context, shadow.Documents) {})}, classic, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c, err := shadow.New(h.ctx(), h.ft, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{tc.prefix + "/delete/+", tc.prefix + "/get/+", tc.prefix + "/update/accepted", tc.prefix + "/update/delta", tc.prefix + "/update/rejected"}
			if tc.docs {
				want = append(want, tc.prefix+"/update/documents")
			}
			slices.Sort(want)
			got := h.ft.active()
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("subscribed %q\nwant       %q", got, want)
			}
			if n := len(h.ft.subscribed); n != len(want) {
				t.Errorf("%d SubscribeRaw calls, want %d (once each)", n, len(want))
			}
			for _, f := range got {
				if strings.HasSuffix(f, "#") {
					t.Errorf("subscribed to %q", f)
				}
			}
			if err := c.Close(h.ctx()); err != nil {
				t.Fatal(err)
			}
			if got := h.ft.active(); len(got) != 0 {
				t.Errorf("still subscribed after Close: %q", got)
			}
		})
	}
}

// TestNamedShadow checks that a named shadow's client uses its topics and
// leaves the classic shadow alone.
func TestNamedShadow(t *testing.T) {
	h := newHarness(t)
	c := h.start(shadow.WithName("cfg"))
	ctx := h.ctx()
	if _, err := c.UpdateReported(ctx, map[string]any{"mode": "eco"}); err != nil {
		t.Fatal(err)
	}
	if n := h.ft.published(named + "/update"); n != 1 {
		t.Errorf("%d publishes to %s/update", n, named)
	}
	if _, ok := h.svc.Document(thing, "cfg"); !ok {
		t.Error("named shadow not created")
	}
	if _, ok := h.svc.Document(thing, ""); ok {
		t.Error("classic shadow created")
	}
	if c.Thing() != thing || c.Name() != "cfg" {
		t.Errorf("Thing, Name = %q, %q", c.Thing(), c.Name())
	}
	// A cloud change of the classic shadow is not this client's.
	if err := h.ft.cloud(h.svc.SetDesired(thing, "", map[string]any{"x": 1})); err != nil {
		t.Fatal(err)
	}
	if err := h.ft.cloud(h.svc.SetDesired(thing, "cfg", map[string]any{"mode": "boost"})); err != nil {
		t.Fatal(err)
	}
	if d := h.nextDelta(); d.Version != 2 || d.State["mode"] != "boost" {
		t.Errorf("delta = %+v", d)
	}
}

// TestNewErrors checks New's validation.
func TestNewErrors(t *testing.T) {
	h := newHarness(t)
	if _, err := shadow.New(h.ctx(), h.ft, shadow.WithName("bad/name")); err == nil {
		t.Error("New accepted an invalid shadow name")
	}
	bad := newFakeTransport("bad thing", h.svc)
	defer bad.Close(context.Background())
	if _, err := shadow.New(h.ctx(), bad); err == nil {
		t.Error("New accepted an invalid thing name")
	}
}

// TestSyncer checks the state.Syncer implementation.
func TestSyncer(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	var s state.Syncer = c
	ctx := h.ctx()

	if d, err := s.Desired(ctx); err != nil || d.Version != 0 || d.State != nil {
		t.Errorf("Desired of no shadow = %+v, %v", d, err)
	}
	got := make(chan state.Desired, 10)
	s.OnDesired(func(_ context.Context, d state.Desired) { got <- d })
	if err := s.Report(ctx, map[string]any{"temp": 20, "mode": "auto"}); err != nil {
		t.Fatal(err)
	}
	h.setDesired(map[string]any{"temp": 22})
	d := <-got
	if d.Version != 2 || num(d.Changed["temp"]) != "22" || num(d.State["temp"]) != "22" || len(d.Changed) != 1 {
		t.Errorf("OnDesired got %+v", d)
	}
	d, err := s.Desired(ctx)
	if err != nil || d.Version != 2 || num(d.State["temp"]) != "22" || num(d.Changed["temp"]) != "22" {
		t.Errorf("Desired = %+v, %v", d, err)
	}
	doc, _ := h.svc.Document(thing, "")
	if doc.State.Reported["mode"] != "auto" {
		t.Errorf("reported = %v", doc.State.Reported)
	}
	s.OnDesired(nil)
}

// TestDocumentsHandler checks that update/documents reaches its handler.
func TestDocumentsHandler(t *testing.T) {
	h := newHarness(t)
	docs := make(chan shadow.Documents, 10)
	c := h.start(shadow.WithDocumentsHandler(func(_ context.Context, d shadow.Documents) { docs <- d }))
	ctx := h.ctx()
	if _, err := c.UpdateReported(ctx, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	d := <-docs
	if d.Previous != nil || d.Current.Version != 1 || num(d.Current.Reported["a"]) != "1" || d.ClientToken == "" {
		t.Errorf("first documents = %+v", d)
	}
	h.setDesired(map[string]any{"a": 2})
	d = <-docs
	if d.Previous == nil || d.Previous.Version != 1 || d.Current.Version != 2 || num(d.Current.Delta["a"]) != "2" || d.ClientToken != "" {
		t.Errorf("second documents = %+v", d)
	}
}
