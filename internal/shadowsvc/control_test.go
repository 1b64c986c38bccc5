package shadowsvc

import (
	"errors"
	"testing"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// TestSetDesired checks the cloud-side update: what it publishes, what it
// stores, and its errors.
func TestSetDesired(t *testing.T) {
	s, _ := newTestService(Options{})
	pubs, err := s.SetDesired("gw-1", "cfg", map[string]any{"mode": "eco", "fan": 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, w := render(t, pubs), want(t,
		named+"/update/accepted", `{"state":{"desired":{"fan":2,"mode":"eco"}},"metadata":{"desired":{"fan":{"timestamp":1700000000},"mode":{"timestamp":1700000000}}},"version":1,"timestamp":1700000000}`,
		named+"/update/delta", `{"state":{"fan":2,"mode":"eco"},"metadata":{"fan":{"timestamp":1700000000},"mode":{"timestamp":1700000000}},"version":1,"timestamp":1700000000}`,
		named+"/update/documents", `{"current":{"state":{"desired":{"fan":2,"mode":"eco"}},"metadata":{"desired":{"fan":{"timestamp":1700000000},"mode":{"timestamp":1700000000}}},"version":1},"timestamp":1700000000}`,
	); got != w {
		t.Errorf("SetDesired published:\n got %s\nwant %s", got, w)
	}

	// A key set to nil is removed.
	if _, err := s.SetDesired("gw-1", "cfg", map[string]any{"fan": nil}); err != nil {
		t.Fatal(err)
	}
	doc, ok := s.Document("gw-1", "cfg")
	if !ok || doc.Version != 2 || canon(t, js(t, doc.State.Desired)) != `{"mode":"eco"}` || canon(t, js(t, doc.State.Delta)) != `{"mode":"eco"}` {
		t.Errorf("Document = %v %s", ok, js(t, doc))
	}
	if _, ok := s.Document("gw-1", ""); ok {
		t.Error("the classic shadow exists after updating a named one")
	}

	tests := []struct {
		name          string
		thing, shadow string
		desired       map[string]any
		is            error
	}{
		{"invalid thing", "bad thing", "", map[string]any{"a": 1}, shadowdoc.ErrInvalidThingName},
		{"invalid shadow", "gw-1", "bad/name", map[string]any{"a": 1}, shadowdoc.ErrInvalidShadowName},
		{"too deep", "gw-1", "", map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}, shadowdoc.ErrBadRequest},
		{"too large", "gw-1", "", map[string]any{"a": string(make([]byte, 9000))}, shadowdoc.ErrPayloadTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.SetDesired(tc.thing, tc.shadow, tc.desired); !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
		})
	}
}

// TestUpdateControlVersion checks a conditional cloud-side update.
func TestUpdateControlVersion(t *testing.T) {
	s, _ := newTestService(Options{})
	if _, err := s.SetDesired("gw-1", "", map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	stale := int64(0)
	_, err := s.Update("gw-1", "", &shadowdoc.UpdateRequest{State: shadowdoc.UpdateState{Reported: shadowdoc.Patch(map[string]any{"a": 1})}, Version: &stale})
	var e *shadowdoc.Error
	if !errors.As(err, &e) || e.Code != shadowdoc.CodeConflict {
		t.Fatalf("stale version: err = %v", err)
	}
	cur := int64(1)
	pubs, err := s.Update("gw-1", "", &shadowdoc.UpdateRequest{State: shadowdoc.UpdateState{Reported: shadowdoc.Patch(map[string]any{"a": 1})}, Version: &cur, ClientToken: "app"})
	if err != nil || len(pubs) != 2 { // accepted, documents: no delta left
		t.Fatalf("current version: %v, %s", err, render(t, pubs))
	}
}

// TestDeleteControl checks the cloud-side delete.
func TestDeleteControl(t *testing.T) {
	s, _ := newTestService(Options{})
	if _, err := s.Delete("gw-1", ""); !errors.Is(err, shadowdoc.ErrNotFound) {
		t.Errorf("delete of no shadow: %v", err)
	}
	if _, err := s.SetDesired("gw-1", "", map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	pubs, err := s.Delete("gw-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, w := render(t, pubs), want(t, classic+"/delete/accepted", `{"version":1,"timestamp":1700000000}`); got != w {
		t.Errorf("Delete published:\n got %s\nwant %s", got, w)
	}
	if _, ok := s.Document("gw-1", ""); ok {
		t.Error("Document after Delete")
	}
	if _, err := s.Delete("gw-1", ""); !errors.Is(err, shadowdoc.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.Delete("bad thing", ""); !errors.Is(err, shadowdoc.ErrInvalidThingName) {
		t.Errorf("delete with a bad name: %v", err)
	}
}

// TestDocumentIsACopy checks that changing what Document returns does not
// change the stored shadow.
func TestDocumentIsACopy(t *testing.T) {
	s, _ := newTestService(Options{})
	if _, err := s.SetDesired("gw-1", "", map[string]any{"a": map[string]any{"b": 1}}); err != nil {
		t.Fatal(err)
	}
	doc, _ := s.Document("gw-1", "")
	doc.State.Desired["a"].(map[string]any)["b"] = 2
	doc.Metadata.Desired["x"] = 1
	again, _ := s.Document("gw-1", "")
	if got := canon(t, js(t, again)); got != canon(t, `{"state":{"desired":{"a":{"b":1}},"delta":{"a":{"b":1}}},"metadata":{"desired":{"a":{"b":{"timestamp":1700000000}}}},"version":1,"timestamp":1700000000}`) {
		t.Errorf("stored document changed: %s", got)
	}
}

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := shadowdoc.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
