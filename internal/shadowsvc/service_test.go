package shadowsvc

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

const (
	classic = "$aws/things/gw-1/shadow"
	named   = "$aws/things/gw-1/shadow/name/cfg"
)

type step struct {
	name    string
	topic   string
	payload string
	want    []string // topic, payload, topic, payload, ...
}

// runSteps runs steps in order against one service, the clock advancing one
// second per step (step i runs at 1700000000+i+1).
func runSteps(t *testing.T, s *Service, c *clock, steps []step) {
	t.Helper()
	for _, st := range steps {
		c.t = c.t.Add(1e9)
		replies, handled := s.HandlePublish("gw-1", st.topic, []byte(st.payload))
		if !handled {
			t.Fatalf("%s: not handled", st.name)
		}
		if got, w := render(t, replies), want(t, st.want...); got != w {
			t.Errorf("%s:\n got %s\nwant %s", st.name, got, w)
		}
	}
}

// TestLifecycle walks get/update/delete on the classic shadow and checks
// every message the service publishes.
func TestLifecycle(t *testing.T) {
	s, c := newTestService(Options{})
	runSteps(t, s, c, []step{
		{"get before any update is 404", classic + "/get", `{"clientToken":"g0"}`, []string{
			classic + "/get/rejected", `{"code":404,"message":"No shadow exists with name: 'gw-1'","timestamp":1700000001,"clientToken":"g0"}`}},
		{"delete before any update is 404", classic + "/delete", ``, []string{
			classic + "/delete/rejected", `{"code":404,"message":"No shadow exists with name: 'gw-1'","timestamp":1700000002}`}},
		{"first update creates version 1", classic + "/update", `{"state":{"desired":{"fan":3}},"clientToken":"u1"}`, []string{
			classic + "/update/accepted", `{"state":{"desired":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}}},"version":1,"timestamp":1700000003,"clientToken":"u1"}`,
			classic + "/update/delta", `{"state":{"fan":3},"metadata":{"fan":{"timestamp":1700000003}},"version":1,"timestamp":1700000003,"clientToken":"u1"}`,
			classic + "/update/documents", `{"current":{"state":{"desired":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}}},"version":1},"timestamp":1700000003,"clientToken":"u1"}`}},
		{"get returns the document with its delta", classic + "/get", `{"clientToken":"g1"}`, []string{
			classic + "/get/accepted", `{"state":{"desired":{"fan":3},"delta":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}}},"version":1,"timestamp":1700000004,"clientToken":"g1"}`}},
		{"reporting the desired value leaves no delta", classic + "/update", `{"state":{"reported":{"fan":3}},"clientToken":"u2"}`, []string{
			classic + "/update/accepted", `{"state":{"reported":{"fan":3}},"metadata":{"reported":{"fan":{"timestamp":1700000005}}},"version":2,"timestamp":1700000005,"clientToken":"u2"}`,
			classic + "/update/documents", `{"previous":{"state":{"desired":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}}},"version":1},
				"current":{"state":{"desired":{"fan":3},"reported":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}},"reported":{"fan":{"timestamp":1700000005}}},"version":2},"timestamp":1700000005,"clientToken":"u2"}`}},
		{"stale version is a 409", classic + "/update", `{"state":{"reported":{"fan":4}},"version":1,"clientToken":"u3"}`, []string{
			classic + "/update/rejected", `{"code":409,"message":"Version conflict","timestamp":1700000006,"clientToken":"u3"}`}},
		{"current version is accepted", classic + "/update", `{"state":{"reported":{"fan":null}},"version":2,"clientToken":"u4"}`, []string{
			classic + "/update/accepted", `{"state":{"reported":{"fan":null}},"metadata":{"reported":{"fan":{"timestamp":1700000007}}},"version":3,"timestamp":1700000007,"clientToken":"u4"}`,
			classic + "/update/delta", `{"state":{"fan":3},"metadata":{"fan":{"timestamp":1700000003}},"version":3,"timestamp":1700000007,"clientToken":"u4"}`,
			classic + "/update/documents", `{"previous":{"state":{"desired":{"fan":3},"reported":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}},"reported":{"fan":{"timestamp":1700000005}}},"version":2},
				"current":{"state":{"desired":{"fan":3}},"metadata":{"desired":{"fan":{"timestamp":1700000003}}},"version":3},"timestamp":1700000007,"clientToken":"u4"}`}},
		{"delete answers the deleted version", classic + "/delete", `{"clientToken":"d1"}`, []string{
			classic + "/delete/accepted", `{"version":3,"timestamp":1700000008,"clientToken":"d1"}`}},
		{"get after delete is 404", classic + "/get", ``, []string{
			classic + "/get/rejected", `{"code":404,"message":"No shadow exists with name: 'gw-1'","timestamp":1700000009}`}},
		{"update after delete continues the version, no previous", classic + "/update", `{"state":{"reported":{"on":true}}}`, []string{
			classic + "/update/accepted", `{"state":{"reported":{"on":true}},"metadata":{"reported":{"on":{"timestamp":1700000010}}},"version":4,"timestamp":1700000010}`,
			classic + "/update/documents", `{"current":{"state":{"reported":{"on":true}},"metadata":{"reported":{"on":{"timestamp":1700000010}}},"version":4},"timestamp":1700000010}`}},
		{"state null clears everything", classic + "/update", `{"state":null,"clientToken":"u5"}`, []string{
			classic + "/update/accepted", `{"state":null,"metadata":{"timestamp":1700000011},"version":5,"timestamp":1700000011,"clientToken":"u5"}`,
			classic + "/update/documents", `{"previous":{"state":{"reported":{"on":true}},"metadata":{"reported":{"on":{"timestamp":1700000010}}},"version":4},
				"current":{"state":{},"metadata":{},"version":5},"timestamp":1700000011,"clientToken":"u5"}`}},
	})
}

// TestRejections checks each rejection code of update, from a shadow at
// version 1, and that the clientToken is echoed when it was valid.
func TestRejections(t *testing.T) {
	deep := `{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}` // depth 6 > 5
	big := `{"blob":"` + strings.Repeat("x", 8192) + `"}`
	tests := []struct {
		name, payload string
		want          string // rejected payload
	}{
		{"invalid JSON", `{"state":`, `{"code":400,"message":"Invalid JSON","timestamp":1700000002}`},
		{"not an object", `[1]`, `{"code":400,"message":"Invalid JSON","timestamp":1700000002}`},
		{"missing state", `{"clientToken":"t"}`, `{"code":400,"message":"Missing required node: state","timestamp":1700000002,"clientToken":"t"}`},
		{"state not an object", `{"state":3,"clientToken":"t"}`, `{"code":400,"message":"State node must be an object","timestamp":1700000002,"clientToken":"t"}`},
		{"unknown state node", `{"state":{"delta":{}},"clientToken":"t"}`, `{"code":400,"message":"State contains an invalid node: 'delta'","timestamp":1700000002,"clientToken":"t"}`},
		{"invalid version", `{"state":{},"version":"1","clientToken":"t"}`, `{"code":400,"message":"Invalid version","timestamp":1700000002,"clientToken":"t"}`},
		{"clientToken too long", `{"state":{},"clientToken":"` + strings.Repeat("t", 65) + `"}`, `{"code":400,"message":"Invalid clientToken","timestamp":1700000002}`},
		{"too deep", `{"state":{"desired":` + deep + `},"clientToken":"t"}`, `{"code":400,"message":"JSON contains too many levels of nesting; maximum is 6","timestamp":1700000002,"clientToken":"t"}`},
		{"null in array", `{"state":{"reported":{"a":[1,null]}},"clientToken":"t"}`, `{"code":400,"message":"Invalid JSON: arrays can't contain null values","timestamp":1700000002,"clientToken":"t"}`},
		{"version conflict", `{"state":{},"version":7,"clientToken":"t"}`, `{"code":409,"message":"Version conflict","timestamp":1700000002,"clientToken":"t"}`},
		{"too large", `{"state":{"reported":` + big + `},"clientToken":"t"}`, `{"code":413,"message":"The payload exceeds the maximum size allowed","timestamp":1700000002,"clientToken":"t"}`},
		{"not UTF-8", "{\"state\":{\"reported\":{\"a\":\"\xff\"}}}", `{"code":415,"message":"Unsupported documented encoding; supported encoding is UTF-8","timestamp":1700000002}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newTestService(Options{})
			runSteps(t, s, c, []step{
				{"setup", classic + "/update", `{"state":{"reported":{"x":1}}}`, []string{
					classic + "/update/accepted", `{"state":{"reported":{"x":1}},"metadata":{"reported":{"x":{"timestamp":1700000001}}},"version":1,"timestamp":1700000001}`,
					classic + "/update/documents", `{"current":{"state":{"reported":{"x":1}},"metadata":{"reported":{"x":{"timestamp":1700000001}}},"version":1},"timestamp":1700000001}`}},
				{tc.name, classic + "/update", tc.payload, []string{classic + "/update/rejected", tc.want}},
			})
			if doc, _ := s.Document("gw-1", ""); doc.Version != 1 {
				t.Errorf("a rejected update changed the version to %d", doc.Version)
			}
		})
	}
}

// TestLimitsOption checks that Options.Limits replaces the default depth.
func TestLimitsOption(t *testing.T) {
	s, c := newTestService(Options{Limits: shadowdoc.Limits{MaxDepth: 2}})
	runSteps(t, s, c, []step{
		{"depth 3 over a limit of 2", classic + "/update", `{"state":{"desired":{"a":{"b":{"c":1}}}}}`, []string{
			classic + "/update/rejected", `{"code":400,"message":"JSON contains too many levels of nesting; maximum is 3","timestamp":1700000001}`}},
	})
}

// TestNamedShadow checks that a named shadow has its own topics, document
// and versions, separate from the classic shadow.
func TestNamedShadow(t *testing.T) {
	s, c := newTestService(Options{})
	runSteps(t, s, c, []step{
		{"update named", named + "/update", `{"state":{"desired":{"mode":"eco"}},"clientToken":"n1"}`, []string{
			named + "/update/accepted", `{"state":{"desired":{"mode":"eco"}},"metadata":{"desired":{"mode":{"timestamp":1700000001}}},"version":1,"timestamp":1700000001,"clientToken":"n1"}`,
			named + "/update/delta", `{"state":{"mode":"eco"},"metadata":{"mode":{"timestamp":1700000001}},"version":1,"timestamp":1700000001,"clientToken":"n1"}`,
			named + "/update/documents", `{"current":{"state":{"desired":{"mode":"eco"}},"metadata":{"desired":{"mode":{"timestamp":1700000001}}},"version":1},"timestamp":1700000001,"clientToken":"n1"}`}},
		{"classic still absent", classic + "/get", ``, []string{
			classic + "/get/rejected", `{"code":404,"message":"No shadow exists with name: 'gw-1'","timestamp":1700000002}`}},
		{"get named", named + "/get", `{"clientToken":"n2"}`, []string{
			named + "/get/accepted", `{"state":{"desired":{"mode":"eco"},"delta":{"mode":"eco"}},"metadata":{"desired":{"mode":{"timestamp":1700000001}}},"version":1,"timestamp":1700000003,"clientToken":"n2"}`}},
		{"delete named", named + "/delete", ``, []string{
			named + "/delete/accepted", `{"version":1,"timestamp":1700000004}`}},
		{"named 404 names the shadow", named + "/get", ``, []string{
			named + "/get/rejected", `{"code":404,"message":"No shadow exists with name: 'cfg'","timestamp":1700000005}`}},
	})
}

// TestNotRequestTopics checks that the service leaves alone what is not a
// shadow request.
func TestNotRequestTopics(t *testing.T) {
	s, _ := newTestService(Options{})
	for _, topic := range []string{
		classic + "/update/accepted",
		classic + "/update/delta",
		classic + "/get/rejected",
		"$aws/things/gw-1/jobs/get",
		"gw-1/events",
		classic,
		classic + "/list",
		"$aws/things/bad name/shadow/get",
	} {
		if replies, handled := s.HandlePublish("gw-1", topic, []byte(`{}`)); handled || replies != nil {
			t.Errorf("HandlePublish(%q) = %v, %v; want nil, false", topic, replies, handled)
		}
	}
}

// TestInFlightLimit checks that held requests count against the thing's
// limit, the next is rejected with 429 at once with its clientToken, other
// things are unaffected, and Release answers the held ones in order.
func TestInFlightLimit(t *testing.T) {
	s, c := newTestService(Options{})
	c.t = c.t.Add(1e9)
	s.Hold("gw-1")
	for i := range DefaultMaxInFlight {
		payload := `{"state":{"reported":{"n":` + strconv.Itoa(i) + `}},"clientToken":"h` + strconv.Itoa(i) + `"}`
		if replies, handled := s.HandlePublish("gw-1", classic+"/update", []byte(payload)); !handled || len(replies) != 0 {
			t.Fatalf("held request %d: replies %v handled %v", i, replies, handled)
		}
	}
	if n := s.Held("gw-1"); n != DefaultMaxInFlight {
		t.Fatalf("Held = %d, want %d", n, DefaultMaxInFlight)
	}
	replies, _ := s.HandlePublish("gw-1", named+"/get", []byte(`{"clientToken":"over"}`))
	if got, w := render(t, replies), want(t, named+"/get/rejected", `{"code":429,"message":"Too Many Requests","timestamp":1700000001,"clientToken":"over"}`); got != w {
		t.Errorf("request over the limit:\n got %s\nwant %s", got, w)
	}
	replies, _ = s.HandlePublish("gw-1", classic+"/update", []byte(`{"state":{},"clientToken":"over2"}`))
	if len(replies) != 1 || !strings.Contains(string(replies[0].Payload), `"clientToken":"over2"`) || !strings.HasSuffix(replies[0].Topic, "/update/rejected") {
		t.Errorf("update over the limit: %s", render(t, replies))
	}
	// Another thing is not held.
	if replies, _ := s.HandlePublish("gw-2", "$aws/things/gw-2/shadow/get", nil); len(replies) != 1 {
		t.Errorf("other thing: %s", render(t, replies))
	}

	replies = s.Release("gw-1")
	var versions []string
	for _, p := range replies {
		if strings.HasSuffix(p.Topic, "/update/accepted") {
			versions = append(versions, canon(t, string(p.Payload)))
		}
	}
	if len(versions) != DefaultMaxInFlight {
		t.Fatalf("released %d accepted, want %d", len(versions), DefaultMaxInFlight)
	}
	for i, v := range versions {
		if !strings.Contains(v, `"version":`+strconv.Itoa(i+1)+`}`) || !strings.Contains(v, `"clientToken":"h`+strconv.Itoa(i)+`"`) {
			t.Errorf("released accepted %d out of order: %s", i, v)
		}
	}
	if n := s.Held("gw-1"); n != 0 {
		t.Errorf("Held after Release = %d", n)
	}
	if replies, _ := s.HandlePublish("gw-1", classic+"/get", nil); len(replies) != 1 || !strings.HasSuffix(replies[0].Topic, "/get/accepted") {
		t.Errorf("after Release requests are answered at once: %s", render(t, replies))
	}
	if s.Release("gw-1") != nil {
		t.Error("Release of a thing not held returned replies")
	}
}

// TestMaxInFlightOption checks Options.MaxInFlight.
func TestMaxInFlightOption(t *testing.T) {
	s, _ := newTestService(Options{MaxInFlight: 1})
	s.Hold("gw-1")
	s.HandlePublish("gw-1", classic+"/get", nil)
	replies, _ := s.HandlePublish("gw-1", classic+"/get", nil)
	if len(replies) != 1 || !strings.Contains(string(replies[0].Payload), `"code":429`) {
		t.Errorf("second request with MaxInFlight 1: %s", render(t, replies))
	}
}
