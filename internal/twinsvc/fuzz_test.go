package twinsvc

import (
	"testing"

	"github.com/tether-iot/tether/internal/twindoc"
)

// FuzzHandlePublish feeds arbitrary device publishes to the service and
// checks its invariants: at most one reply; a reply answers the request's own
// $rid; 204 carries the reported version, which grows by exactly one, and
// nothing else changes the twin; a GET's 200 carries a twin that parses and
// equals the stored one.
func FuzzHandlePublish(f *testing.F) {
	f.Add("$iothub/twin/GET/?$rid=1", []byte(nil))
	f.Add("$iothub/twin/PATCH/properties/reported/?$rid=2", []byte(`{"a":{"b":[1,2]},"c":null}`))
	f.Add("$iothub/twin/PATCH/properties/reported/?$rid=3&$version=9", []byte(`{"a b":1}`))
	f.Add("$iothub/twin/PATCH/properties/desired/?$version=3", []byte(`{}`))
	f.Add("$iothub/twin/GET/?$rid=", []byte(nil))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		s := New()
		s.HandlePublish(dev, "$iothub/twin/PATCH/properties/reported/?$rid=seed", []byte(`{"x":{"y":1}}`))
		before, _ := s.Twin(dev)
		replies := s.HandlePublish(dev, topic, payload)
		after, _ := s.Twin(dev)
		if len(replies) > 1 {
			t.Fatalf("%d replies", len(replies))
		}
		req, reqErr := twindoc.ParseRequestTopic(topic)
		if len(replies) == 0 {
			if after.Reported.Version != before.Reported.Version {
				t.Fatalf("twin changed without a reply")
			}
			return
		}
		if reqErr != nil {
			t.Fatalf("reply %q to a topic that is not a request: %v", replies[0].Topic, reqErr)
		}
		res, err := twindoc.ParseResponseTopic(replies[0].Topic)
		if err != nil {
			t.Fatalf("reply topic %q: %v", replies[0].Topic, err)
		}
		if res.RequestID != req.RequestID {
			t.Fatalf("reply $rid %q, request $rid %q", res.RequestID, req.RequestID)
		}
		switch res.Status {
		case twindoc.StatusOK:
			tw, err := twindoc.ParseTwin(replies[0].Payload)
			if err != nil || req.Kind != twindoc.RequestGet {
				t.Fatalf("200 to %v with %s: %v", req.Kind, replies[0].Payload, err)
			}
			if tw.Reported.Version != after.Reported.Version || tw.Desired.Version != after.Desired.Version {
				t.Fatalf("GET versions %d/%d, stored %d/%d", tw.Desired.Version, tw.Reported.Version, after.Desired.Version, after.Reported.Version)
			}
		case twindoc.StatusNoContent:
			if !res.HasVersion || res.Version != before.Reported.Version+1 || after.Reported.Version != res.Version {
				t.Fatalf("204 version %d (has %v): before %d after %d", res.Version, res.HasVersion, before.Reported.Version, after.Reported.Version)
			}
			if err := twindoc.Validate(after.Reported.Values); err != nil {
				t.Fatalf("stored reported properties break the rules: %v", err)
			}
		case twindoc.StatusBadRequest:
			if after.Reported.Version != before.Reported.Version {
				t.Fatalf("400 changed the twin")
			}
		default:
			t.Fatalf("unexpected status %d", res.Status)
		}
	})
}
