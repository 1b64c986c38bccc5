package shadowdoc

import (
	"bytes"
	"errors"
	"testing"
)

// roundTrip checks that a parsed message re-encodes to a fixed point: parsing
// the encoding succeeds and encodes to the same bytes.
func roundTrip[T any](t *testing.T, payload []byte, parse func([]byte) (*T, error)) {
	v, err := parse(payload)
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	b1, err := Marshal(v)
	if err != nil {
		t.Fatalf("encode parsed %q: %v", payload, err)
	}
	v2, err := parse(b1)
	if err != nil {
		t.Fatalf("reparse of %s: %v", b1, err)
	}
	b2, err := Marshal(v2)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("not a fixed point:\n%s\n%s (%v)", b1, b2, err)
	}
}

var responseSeeds = []string{
	`{"state":{"desired":{"color":"RED","n":1.50},"reported":{"color":"GREEN"},"delta":{"color":"RED"}},"metadata":{"desired":{"color":{"timestamp":1}},"reported":{"color":{"timestamp":2}}},"version":10,"timestamp":123,"clientToken":"tok"}`,
	`{"state":null,"metadata":{"timestamp":1756452769},"version":18,"timestamp":1756452769}`,
	`{"state":{"desired":null,"reported":{"a":null,"b":[1,{"c":2}]}},"metadata":{"desired":{"timestamp":5},"reported":{"a":{"timestamp":5},"b":[{"timestamp":5},{"c":{"timestamp":5}}]}},"version":4,"timestamp":5}`,
	`{"version":7,"timestamp":9,"state":{"l":{"c":{"g":255}}},"metadata":{"l":{"c":{"g":{"timestamp":9}}}},"clientToken":"c"}`,
	`{"previous":{"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":1}}},"version":1},"current":{"state":{"reported":{"a":2}},"metadata":{"reported":{"a":{"timestamp":2}}},"version":2},"timestamp":2,"clientToken":"d"}`,
	`{"version":4,"timestamp":1591057529}`,
	`{"code":409,"message":"Version conflict","clientToken":"426bfd96-e720-46d3-95cd-014e3ef12bb6"}`,
	`{"code":400,"message":"Missing required node: state","timestamp":1}`,
	`{"state":{"desired":{"s":"<\u2028&\u0000>","big":123456789012345678901234567890e-5}}}`,
	`{}`,
	`null`,
	`{"state":`,
}

func addSeeds(f *testing.F, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func FuzzParseGetAccepted(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) { roundTrip(t, payload, ParseGetAccepted) })
}

func FuzzParseUpdateAccepted(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) { roundTrip(t, payload, ParseUpdateAccepted) })
}

func FuzzParseDelta(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) { roundTrip(t, payload, ParseDelta) })
}

func FuzzParseDocuments(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) { roundTrip(t, payload, ParseDocuments) })
}

func FuzzParseDeleteAccepted(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) { roundTrip(t, payload, ParseDeleteAccepted) })
}

func FuzzParseRejected(f *testing.F) {
	addSeeds(f, responseSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) {
		roundTrip(t, payload, ParseRejected)
		if r, err := ParseRejected(payload); err == nil {
			var e *Error
			if !errors.As(r.Err(), &e) || e.Code != r.Code || e.Code == 0 {
				t.Fatalf("Err() of %+v = %v", r, r.Err())
			}
		}
	})
}

var requestSeeds = []string{
	`{"state":{"desired":{"color":"red"},"reported":{"color":"blue"}},"clientToken":"t1","version":3}`,
	`{"state":{"reported":{"color":"red"},"desired":null}}`,
	`{"state":null,"clientToken":"x"}`,
	`{"state":{"desired":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}}`,
	`{"state":{"desired":{"colors":[null,"RED"]}}}`,
	`{"state":{"delta":{}}}`,
	`{"state":{},"version":9223372036854775808}`,
	`{"clientToken":"keep"}`,
	"{\"state\":{\"reported\":{\"a\":\"\xff\"}}}",
	`{"state":{"reported":{"n":1e400,"m":-0.0,"s":"<&>"}}}`,
}

// FuzzParseUpdateRequest checks the strict parser: errors are 400/415
// *Error values, accepted requests re-encode to a fixed point, and a parsed
// request goes through validation and ApplyUpdate without panicking, with
// the limits holding on the result.
func FuzzParseUpdateRequest(f *testing.F) {
	addSeeds(f, requestSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) {
		_ = ParseRequestClientToken(payload)
		req, err := ParseUpdateRequest(payload)
		if req == nil {
			t.Fatal("nil request")
		}
		if len(req.ClientToken) > MaxClientTokenLen {
			t.Fatalf("token of %d bytes accepted", len(req.ClientToken))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != CodeBadRequest && e.Code != CodeUnsupportedMediaType) {
				t.Fatalf("error %v is not a 400/415 *Error", err)
			}
			return
		}
		b1, err := Marshal(req)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		req2, err := ParseUpdateRequest(b1)
		if err != nil {
			t.Fatalf("reparse of %s: %v", b1, err)
		}
		if b2, _ := Marshal(req2); !bytes.Equal(b1, b2) {
			t.Fatalf("not a fixed point:\n%s\n%s", b1, b2)
		}
		res, err := ApplyUpdate(nil, req, 1, Limits{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ApplyUpdate error %v is not an *Error", err)
			}
			return
		}
		if err := CheckStateSize(res.Document.State.Desired, res.Document.State.Reported, 0); err != nil {
			t.Fatalf("accepted document over the limit: %v", err)
		}
		checkDocument(t, res.Document)
	})
}

func FuzzParseTopic(f *testing.F) {
	for _, s := range []string{
		"$aws/things/dev1/shadow/get",
		"$aws/things/dev1/shadow/update/delta",
		"$aws/things/Gw:01_a-b/shadow/name/config/update/documents",
		"$aws/things/dev1/shadow/name//get",
		"$aws/things/dev1/shadow/get/accepted/extra",
		"$aws/things/name/shadow/name/name/delete/rejected",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		tp, err := ParseTopic(topic)
		if err != nil {
			return
		}
		if tp.String() != topic {
			t.Fatalf("ParseTopic(%q).String() = %q", topic, tp.String())
		}
		if s, err := tp.Build(); err != nil || s != topic {
			t.Fatalf("Build(ParseTopic(%q)) = %q, %v", topic, s, err)
		}
		if len(tp.Thing) > MaxThingNameLen || len(tp.Shadow) > MaxShadowNameLen {
			t.Fatalf("name over the limit accepted: %+v", tp)
		}
	})
}

// FuzzMergeDelta applies arbitrary patches and checks the document
// invariants: no panic, delta members are desired members, reporting the
// delta clears it, metadata has the shape of the state, merging is
// idempotent and empty sections are removed.
func FuzzMergeDelta(f *testing.F) {
	f.Add([]byte(`{"color":"RED","l":{"c":{"r":1}}}`), []byte(`{"color":"GREEN","l":{"c":{"r":2,"g":0}}}`), []byte(`{"l":{"c":{"r":null}},"arr":[1,[2],{"x":null}]}`))
	f.Add([]byte(`{"a":1,"b":{"c":3},"d":{}}`), []byte(`null`), []byte(`{"b":{"c":{}},"d":null}`))
	f.Add([]byte(`{"a":[1,2]}`), []byte(`{"a":[1.0,2e0]}`), []byte(`{"a":"1"}`))
	f.Add([]byte(`{"x":{"y":1}}`), []byte(`{"x":5}`), []byte(`{"x":{"y":null}}`))
	f.Fuzz(func(t *testing.T, desired, reported, patch []byte) {
		var d, r, p map[string]any
		if decode(desired, &d) != nil || decode(reported, &r) != nil || decode(patch, &p) != nil {
			return
		}
		doc := ApplyState(Document{}, UpdateState{Desired: Patch(d), Reported: Patch(r)}, 1)
		checkDocument(t, doc)
		doc2 := ApplyState(doc, UpdateState{Desired: Patch(p), Reported: Patch(p)}, 2)
		checkDocument(t, doc2)
		again := ApplyState(doc2, UpdateState{Desired: Patch(p), Reported: Patch(p)}, 3)
		if !Equal(again.State.Desired, doc2.State.Desired) || !Equal(again.State.Reported, doc2.State.Reported) {
			t.Fatalf("merge not idempotent: %s then %s", js(t, doc2.State), js(t, again.State))
		}
		if ComputeDelta(doc2.State.Desired, doc2.State.Desired) != nil {
			t.Fatalf("desired differs from itself: %s", js(t, doc2.State.Desired))
		}
		// The device applies the delta and reports it: nothing is left.
		reportedNow := Merge(doc2.State.Reported, doc2.State.Delta)
		if left := ComputeDelta(doc2.State.Desired, reportedNow); left != nil {
			t.Fatalf("delta %s left %s after being reported (desired %s)", js(t, doc2.State.Delta), js(t, left), js(t, doc2.State.Desired))
		}
	})
}

// checkDocument asserts the invariants of a document built by ApplyState.
func checkDocument(t *testing.T, doc Document) {
	t.Helper()
	for _, s := range []map[string]any{doc.State.Desired, doc.State.Reported} {
		if s != nil && len(s) == 0 {
			t.Fatalf("empty section kept: %s", js(t, doc.State))
		}
	}
	if !Equal(doc.State.Delta, ComputeDelta(doc.State.Desired, doc.State.Reported)) {
		t.Fatalf("stale delta %s", js(t, doc.State.Delta))
	}
	deltaWithin(t, doc.State.Delta, doc.State.Desired)
	sameShape(t, doc.State.Desired, doc.Metadata.Desired)
	sameShape(t, doc.State.Reported, doc.Metadata.Reported)
	dm := DeltaMetadata(doc.State.Delta, doc.Metadata.Desired)
	if len(dm) != len(doc.State.Delta) {
		t.Fatalf("delta metadata %s does not cover delta %s", js(t, dm), js(t, doc.State.Delta))
	}
}

// deltaWithin asserts that every delta member is a desired member, equal to
// it or (for objects) a part of it.
func deltaWithin(t *testing.T, delta, desired map[string]any) {
	t.Helper()
	for k, dv := range delta {
		want, ok := desired[k]
		if !ok {
			t.Fatalf("delta member %q not in desired %s", k, js(t, desired))
		}
		dm, dIsObject := dv.(map[string]any)
		wm, wIsObject := want.(map[string]any)
		if dIsObject && wIsObject && !Equal(dm, wm) {
			if len(dm) == 0 {
				t.Fatalf("empty partial object in delta at %q", k)
			}
			deltaWithin(t, dm, wm)
			continue
		}
		if !Equal(dv, want) {
			t.Fatalf("delta member %q = %s, desired has %s", k, js(t, dv), js(t, want))
		}
	}
}

// sameShape asserts that meta mirrors state: objects as objects with the
// same members, arrays element by element, scalars as {"timestamp":T}.
func sameShape(t *testing.T, state, meta any) {
	t.Helper()
	switch s := state.(type) {
	case map[string]any:
		m, ok := meta.(map[string]any)
		if !ok || len(m) != len(s) {
			t.Fatalf("metadata %s does not mirror %s", js(t, meta), js(t, state))
		}
		for k, v := range s {
			mv, ok := m[k]
			if !ok {
				t.Fatalf("no metadata for %q in %s", k, js(t, meta))
			}
			sameShape(t, v, mv)
		}
	case []any:
		m, ok := meta.([]any)
		if !ok || len(m) != len(s) {
			t.Fatalf("array metadata %s does not mirror %s", js(t, meta), js(t, state))
		}
		for i := range s {
			sameShape(t, s[i], m[i])
		}
	default:
		m, ok := meta.(map[string]any)
		if !ok || len(m) != 1 || m[keyTimestamp] == nil {
			t.Fatalf("leaf metadata %s for %s", js(t, meta), js(t, state))
		}
	}
}
