package shadowsvc

import (
	"testing"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// FuzzHandleUpdate feeds arbitrary update payloads to a shadow at version 1
// and checks the service's invariants: exactly one accepted-or-rejected
// answer that parses, the clientToken echoed, the version incremented only
// when accepted, and the stored document within the limits.
func FuzzHandleUpdate(f *testing.F) {
	f.Add([]byte(`{"state":{"desired":{"a":1},"reported":{"a":2}},"clientToken":"c","version":1}`))
	f.Add([]byte(`{"state":{"reported":{"x":null}},"version":0}`))
	f.Add([]byte(`{"state":null}`))
	f.Add([]byte(`{"state":{"desired":{"l":[1,null]}}}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, _ := newTestService(Options{})
		if _, err := s.SetDesired("gw-1", "", map[string]any{"x": 1}); err != nil {
			t.Fatal(err)
		}
		replies, handled := s.HandlePublish("gw-1", classic+"/update", payload)
		if !handled || len(replies) == 0 {
			t.Fatalf("handled %v, %d replies", handled, len(replies))
		}
		req, perr := shadowdoc.ParseUpdateRequest(payload)
		doc, _ := s.Document("gw-1", "")
		first := replies[0]
		switch first.Topic {
		case classic + "/update/rejected":
			if len(replies) != 1 {
				t.Fatalf("rejected with %d replies", len(replies))
			}
			r, err := shadowdoc.ParseRejected(first.Payload)
			if err != nil {
				t.Fatalf("rejected payload %s: %v", first.Payload, err)
			}
			switch r.Code {
			case shadowdoc.CodeBadRequest, shadowdoc.CodeConflict, shadowdoc.CodePayloadTooLarge, shadowdoc.CodeUnsupportedMediaType:
			default:
				t.Errorf("unexpected code %d", r.Code)
			}
			if r.ClientToken != req.ClientToken {
				t.Errorf("token %q, want %q", r.ClientToken, req.ClientToken)
			}
			if doc.Version != 1 {
				t.Errorf("rejected update changed version to %d", doc.Version)
			}
		case classic + "/update/accepted":
			if perr != nil {
				t.Fatalf("accepted a request the parser refuses: %v", perr)
			}
			a, err := shadowdoc.ParseUpdateAccepted(first.Payload)
			if err != nil {
				t.Fatalf("accepted payload %s: %v", first.Payload, err)
			}
			if a.Version != 2 || doc.Version != 2 || a.ClientToken != req.ClientToken {
				t.Errorf("accepted version %d, stored %d, token %q", a.Version, doc.Version, a.ClientToken)
			}
			last := replies[len(replies)-1]
			d, err := shadowdoc.ParseDocuments(last.Payload)
			if last.Topic != classic+"/update/documents" || err != nil || d.Current.Version != 2 || d.Previous == nil || d.Previous.Version != 1 {
				t.Errorf("documents %s %s: %v", last.Topic, last.Payload, err)
			}
			if len(replies) == 3 {
				delta, err := shadowdoc.ParseDelta(replies[1].Payload)
				if replies[1].Topic != classic+"/update/delta" || err != nil || delta.Version != 2 {
					t.Errorf("delta %s %s: %v", replies[1].Topic, replies[1].Payload, err)
				}
			}
			if n, err := shadowdoc.StateSize(doc.State.Desired, doc.State.Reported); err != nil || n > shadowdoc.MaxStateSize {
				t.Errorf("stored state of %d bytes (%v)", n, err)
			}
			if shadowdoc.CheckDepth(doc.State.Desired, 0) != nil || shadowdoc.CheckDepth(doc.State.Reported, 0) != nil {
				t.Error("stored state too deep")
			}
		default:
			t.Fatalf("first reply on %s", first.Topic)
		}
	})
}
