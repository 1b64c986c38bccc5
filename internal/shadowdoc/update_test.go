package shadowdoc

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, payload string) *UpdateRequest {
	t.Helper()
	req, err := ParseUpdateRequest([]byte(payload))
	if err != nil {
		t.Fatalf("ParseUpdateRequest(%s): %v", payload, err)
	}
	return req
}

// TestApplyUpdateFlow walks the documented desired → delta → reported flow and
// checks every message the service publishes.
func TestApplyUpdateFlow(t *testing.T) {
	// 1. An app sets desired on a shadow that does not exist yet.
	r1, err := ApplyUpdate(nil, mustParse(t, `{"state":{"desired":{"color":{"r":10},"engine":"ON"}},"clientToken":"app-1"}`), 100, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := canon(t, js(t, r1.Accepted)), canon(t, `{"state":{"desired":{"color":{"r":10},"engine":"ON"}},
		"metadata":{"desired":{"color":{"r":{"timestamp":100}},"engine":{"timestamp":100}}},
		"version":1,"timestamp":100,"clientToken":"app-1"}`); got != want {
		t.Errorf("accepted = %s\nwant       %s", got, want)
	}
	if r1.Delta == nil {
		t.Fatal("no delta message")
	}
	if got, want := canon(t, js(t, r1.Delta)), canon(t, `{"state":{"color":{"r":10},"engine":"ON"},
		"metadata":{"color":{"r":{"timestamp":100}},"engine":{"timestamp":100}},"version":1,"timestamp":100,"clientToken":"app-1"}`); got != want {
		t.Errorf("delta = %s\nwant    %s", got, want)
	}
	if r1.Documents.Previous != nil {
		t.Error("documents.previous must be absent when the update creates the shadow")
	}
	if r1.Documents.Current.Version != 1 || r1.Documents.Current.State.Delta != nil || r1.Documents.ClientToken != "app-1" {
		t.Errorf("documents = %s", js(t, r1.Documents))
	}
	if r1.Document.Version != 1 || r1.Document.ClientToken != "" || r1.Document.Timestamp != 100 {
		t.Errorf("stored document header = %d/%q/%d", r1.Document.Version, r1.Document.ClientToken, r1.Document.Timestamp)
	}

	// 2. The device reports part of it: the delta shrinks, and is still published.
	r2, err := ApplyUpdate(&r1.Document, mustParse(t, `{"state":{"reported":{"engine":"ON"}},"clientToken":"dev-1"}`), 200, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Document.Version != 2 || r2.Delta == nil || js(t, r2.Delta.State) != `{"color":{"r":10}}` {
		t.Errorf("after partial report: version %d, delta %s", r2.Document.Version, js(t, r2.Delta))
	}
	if got := js(t, r2.Delta.Metadata); got != `{"color":{"r":{"timestamp":100}}}` {
		t.Errorf("delta metadata keeps the desired timestamp: %s", got)
	}
	if r2.Documents.Previous == nil || js(t, *r2.Documents.Previous) != js(t, r1.Documents.Current) {
		t.Errorf("documents.previous = %s, want the previous current", js(t, r2.Documents.Previous))
	}

	// 3. The device reports the rest and clears desired: no delta left.
	r3, err := ApplyUpdate(&r2.Document, mustParse(t, `{"state":{"reported":{"color":{"r":10}},"desired":null},"version":2}`), 300, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Delta != nil || r3.Document.State.Desired != nil || r3.Document.Metadata.Desired != nil {
		t.Errorf("after clearing desired: %s", js(t, r3.Document))
	}
	if got, want := js(t, r3.Accepted.Metadata), canon(t, `{"desired":{"timestamp":300},"reported":{"color":{"r":{"timestamp":300}}}}`); got != want {
		t.Errorf("accepted metadata = %s, want %s", got, want)
	}
	if got, want := js(t, r3.Document.Metadata.Reported), canon(t, `{"color":{"r":{"timestamp":300}},"engine":{"timestamp":200}}`); got != want {
		t.Errorf("reported metadata = %s, want %s", got, want)
	}

	// The stored documents of earlier steps were not modified.
	if r1.Document.State.Reported != nil || r2.Document.State.Desired == nil {
		t.Error("ApplyUpdate modified an earlier document")
	}
}

func TestApplyUpdateStateNull(t *testing.T) {
	cur := ApplyState(Document{Version: 17}, UpdateState{Desired: Patch(obj(t, `{"a":1}`)), Reported: Patch(obj(t, `{"b":2}`))}, 1)
	r, err := ApplyUpdate(&cur, mustParse(t, `{"state":null}`), 1756452769, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// Shape captured from AWS (moto issue 9237).
	if got := js(t, r.Accepted); got != `{"state":null,"metadata":{"timestamp":1756452769},"version":18,"timestamp":1756452769}` {
		t.Errorf("accepted = %s", got)
	}
	if got := js(t, r.Document); got != `{"state":{},"metadata":{},"version":18,"timestamp":1756452769}` {
		t.Errorf("document = %s", got)
	}
	if r.Delta != nil {
		t.Error("delta after clearing everything")
	}
}

func TestApplyUpdateErrors(t *testing.T) {
	cur := ApplyState(Document{Version: 5}, UpdateState{Reported: Patch(map[string]any{"big": strings.Repeat("x", 8000)})}, 1)
	tests := []struct {
		name     string
		payload  string
		lim      Limits
		code     int
		msg      string
		sentinel error
	}{
		{"version conflict (older)", `{"state":{"desired":{"a":1}},"version":4}`, Limits{}, 409, MsgVersionConflict, ErrVersionConflict},
		{"version conflict (newer)", `{"state":{"desired":{"a":1}},"version":6}`, Limits{}, 409, MsgVersionConflict, ErrVersionConflict},
		{"merged document too large", `{"state":{"desired":{"more":"` + strings.Repeat("y", 200) + `"}}}`, Limits{}, 413, MsgPayloadTooLarge, ErrPayloadTooLarge},
		{"too deep", `{"state":{"desired":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}}`, Limits{}, 400, "JSON contains too many levels of nesting; maximum is 6", ErrBadRequest},
		{"null in array", `{"state":{"desired":{"a":[null]}}}`, Limits{}, 400, MsgNullInArray, ErrBadRequest},
		{"custom size limit", `{"state":{"desired":{"a":1}}}`, Limits{MaxStateSize: 100}, 413, MsgPayloadTooLarge, ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ApplyUpdate(&cur, mustParse(t, tt.payload), 2, tt.lim)
			if r != nil {
				t.Error("a result with an error")
			}
			wantCode(t, err, tt.code, tt.msg)
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
		})
	}

	// A delete that shrinks an oversized update back under the limit is fine:
	// the limit applies to the merged document, not to the request.
	r, err := ApplyUpdate(&cur, mustParse(t, `{"state":{"reported":{"big":null,"small":"`+strings.Repeat("z", 8100)+`"}},"version":5}`), 3, Limits{})
	if err != nil || r.Document.Version != 6 {
		t.Fatalf("replace within the limit: %v", err)
	}
}

func TestApplyUpdateVersionMatchesAndDeletedShadow(t *testing.T) {
	// A deleted shadow continues its version: the emulator passes the old version.
	deleted := &Document{Version: 4}
	r, err := ApplyUpdate(deleted, mustParse(t, `{"state":{"reported":{"a":1}},"version":4}`), 9, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Document.Version != 5 || r.Accepted.Version != 5 || r.Documents.Current.Version != 5 || r.Documents.Previous.Version != 4 {
		t.Errorf("versions = %d/%d/%d/%d", r.Document.Version, r.Accepted.Version, r.Documents.Current.Version, r.Documents.Previous.Version)
	}
	if r.Delta != nil {
		t.Error("reported-only with no desired: no delta")
	}
	// An unconditional update on a new shadow starts at version 1.
	r, err = ApplyUpdate(nil, mustParse(t, `{"state":{"reported":{"a":1}}}`), 9, Limits{})
	if err != nil || r.Document.Version != 1 {
		t.Fatalf("new shadow: %v, %+v", err, r)
	}
	// A conditional create must name version 0.
	if _, err := ApplyUpdate(nil, mustParse(t, `{"state":{"reported":{"a":1}},"version":1}`), 9, Limits{}); !errors.Is(err, ErrVersionConflict) {
		t.Errorf("conditional create with version 1: %v", err)
	}
}

func TestApplyUpdateResultIsIndependent(t *testing.T) {
	req := mustParse(t, `{"state":{"desired":{"a":{"b":[1,2]}}}}`)
	r, err := ApplyUpdate(nil, req, 1, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r.Accepted.State.Desired.Fields["a"].(map[string]any)["b"].([]any)[0] = "x"
	r.Delta.State["a"].(map[string]any)["b"].([]any)[1] = "y"
	r.Documents.Current.State.Desired["a"] = "z"
	if js(t, req.State.Desired.Fields) != `{"a":{"b":[1,2]}}` || js(t, r.Document.State.Desired) != `{"a":{"b":[1,2]}}` {
		t.Errorf("messages alias the request or the document: req %s doc %s", js(t, req.State.Desired.Fields), js(t, r.Document.State.Desired))
	}
}
