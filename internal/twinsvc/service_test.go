package twinsvc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/twindoc"
)

const dev = "dev1"

// step is one interaction with the service and the replies it must produce.
type step struct {
	topic   string
	payload string
	want    []Publish // compared exactly; a payload of "*" matches any payload
}

func runSteps(t *testing.T, s *Service, steps []step) {
	t.Helper()
	for i, st := range steps {
		got := s.HandlePublish(dev, st.topic, []byte(st.payload))
		if len(got) != len(st.want) {
			t.Fatalf("step %d (%s): got %d replies %q, want %d", i, st.topic, len(got), got, len(st.want))
		}
		for j := range got {
			if got[j].Topic != st.want[j].Topic {
				t.Errorf("step %d: reply topic = %q, want %q", i, got[j].Topic, st.want[j].Topic)
			}
			if string(st.want[j].Payload) != "*" && string(got[j].Payload) != string(st.want[j].Payload) {
				t.Errorf("step %d: reply payload = %s, want %s", i, got[j].Payload, st.want[j].Payload)
			}
		}
	}
}

func reply(topic, payload string) []Publish {
	var p []byte
	if payload != "" {
		p = []byte(payload)
	}
	return []Publish{{Topic: topic, Payload: p}}
}

func TestHandlePublish(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"get new twin", []step{
			{"$iothub/twin/GET/?$rid=1", "", reply("$iothub/twin/res/200/?$rid=1", `{"desired":{"$version":1},"reported":{"$version":1}}`)},
		}},
		{"patch then get", []step{
			{"$iothub/twin/PATCH/properties/reported/?$rid=a", `{"fw":"1.0","cfg":{"x":1}}`, reply("$iothub/twin/res/204/?$rid=a&$version=2", "")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=b", `{"cfg":{"y":2,"x":null}}`, reply("$iothub/twin/res/204/?$rid=b&$version=3", "")},
			{"$iothub/twin/GET/?$rid=c", "", reply("$iothub/twin/res/200/?$rid=c", `{"desired":{"$version":1},"reported":{"$version":3,"cfg":{"y":2},"fw":"1.0"}}`)},
		}},
		{"empty patch still increments", []step{
			{"$iothub/twin/PATCH/properties/reported/?$rid=1", `{}`, reply("$iothub/twin/res/204/?$rid=1&$version=2", "")},
		}},
		{"exact numbers survive", []step{
			{"$iothub/twin/PATCH/properties/reported/?$rid=1", `{"big":4503599627370495,"f":1.50}`, reply("$iothub/twin/res/204/?$rid=1&$version=2", "")},
			{"$iothub/twin/GET/?$rid=2", "", reply("$iothub/twin/res/200/?$rid=2", `{"desired":{"$version":1},"reported":{"$version":2,"big":4503599627370495,"f":1.50}}`)},
		}},
		{"invalid JSON is 400 and changes nothing", []step{
			{"$iothub/twin/PATCH/properties/reported/?$rid=1", `{"a":`, reply("$iothub/twin/res/400/?$rid=1", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=2", `[1]`, reply("$iothub/twin/res/400/?$rid=2", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=3", ``, reply("$iothub/twin/res/400/?$rid=3", "*")},
			{"$iothub/twin/GET/?$rid=4", "", reply("$iothub/twin/res/200/?$rid=4", `{"desired":{"$version":1},"reported":{"$version":1}}`)},
		}},
		{"invalid properties are 400", []step{
			{"$iothub/twin/PATCH/properties/reported/?$rid=1", `{"a b":1}`, reply("$iothub/twin/res/400/?$rid=1", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=2", `{"$version":5}`, reply("$iothub/twin/res/400/?$rid=2", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=3", `{"n":4503599627370496}`, reply("$iothub/twin/res/400/?$rid=3", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=4", `{"s":"` + strings.Repeat("x", twindoc.MaxStringBytes+1) + `"}`, reply("$iothub/twin/res/400/?$rid=4", "*")},
			{"$iothub/twin/PATCH/properties/reported/?$rid=5", `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{}}}}}}}}}}}}`, reply("$iothub/twin/res/400/?$rid=5", "*")},
			{"$iothub/twin/GET/?$rid=6", "", reply("$iothub/twin/res/200/?$rid=6", `{"desired":{"$version":1},"reported":{"$version":1}}`)},
		}},
		{"not a twin request: no reply", []step{
			{"devices/dev1/messages/events/", `{}`, nil},
			{"$iothub/twin/PATCH/properties/desired/?$version=3", `{}`, nil},
			{"$iothub/methods/res/200/?$rid=1", `{}`, nil},
		}},
		{"malformed request: no reply", []step{
			{"$iothub/twin/GET/?", "", nil},
			{"$iothub/twin/GET/?$rid=", "", nil},
			{"$iothub/twin/PATCH/properties/reported/?$rid=1&$rid=2", `{}`, nil},
		}},
		{"rid echoed verbatim, other params ignored", []step{
			{"$iothub/twin/GET/?foo=bar&$rid=x-Y_1", "", reply("$iothub/twin/res/200/?$rid=x-Y_1", "*")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, New(), tt.steps)
		})
	}
}

func TestReportedSizeLimitAfterMerge(t *testing.T) {
	s := New()
	// Two patches each within the limit whose merge is not.
	half := strings.Repeat("x", twindoc.MaxStringBytes-10)
	first := map[string]any{}
	for i := 0; i < 5; i++ {
		first["a"+string(rune('0'+i))] = half
	}
	second := map[string]any{}
	for i := 0; i < 5; i++ {
		second["b"+string(rune('0'+i))] = half
	}
	b1, _ := json.Marshal(first)
	b2, _ := json.Marshal(second)
	runSteps(t, s, []step{
		{"$iothub/twin/PATCH/properties/reported/?$rid=1", string(b1), reply("$iothub/twin/res/204/?$rid=1&$version=2", "")},
		{"$iothub/twin/PATCH/properties/reported/?$rid=2", string(b2), reply("$iothub/twin/res/400/?$rid=2", "*")},
	})
	tw, _ := s.Twin(dev)
	if tw.Reported.Version != 2 || len(tw.Reported.Values) != 5 {
		t.Fatalf("reported = v%d with %d keys, want v2 with 5", tw.Reported.Version, len(tw.Reported.Values))
	}
}

func TestBadRequestBodyNamesTheProblem(t *testing.T) {
	got := New().HandlePublish(dev, "$iothub/twin/PATCH/properties/reported/?$rid=1", []byte(`{"a.b":1}`))
	if len(got) != 1 {
		t.Fatalf("got %d replies", len(got))
	}
	var body struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(got[0].Payload, &body); err != nil {
		t.Fatalf("body %s: %v", got[0].Payload, err)
	}
	if body.ErrorCode != 400 || !strings.Contains(body.Message, "/a.b") {
		t.Fatalf("body = %+v", body)
	}
}

func TestUpdateDesired(t *testing.T) {
	s := New()
	tests := []struct {
		patch       map[string]any
		wantVersion int64
		wantTopic   string
		wantPayload string
		wantDesired string
	}{
		{map[string]any{"interval": 30, "mode": "eco"}, 2,
			"$iothub/twin/PATCH/properties/desired/?$version=2", `{"$version":2,"interval":30,"mode":"eco"}`,
			`{"interval":30,"mode":"eco"}`},
		{map[string]any{"mode": nil, "net": map[string]any{"apn": "a<b"}}, 3,
			"$iothub/twin/PATCH/properties/desired/?$version=3", `{"$version":3,"mode":null,"net":{"apn":"a<b"}}`,
			`{"interval":30,"net":{"apn":"a<b"}}`},
		{map[string]any{"list": []string{"x", "y"}}, 4,
			"$iothub/twin/PATCH/properties/desired/?$version=4", `{"$version":4,"list":["x","y"]}`,
			`{"interval":30,"list":["x","y"],"net":{"apn":"a<b"}}`},
	}
	for i, tt := range tests {
		v, pubs, err := s.UpdateDesired(dev, tt.patch)
		if err != nil {
			t.Fatalf("%d: UpdateDesired: %v", i, err)
		}
		if v != tt.wantVersion || len(pubs) != 1 || pubs[0].Topic != tt.wantTopic || string(pubs[0].Payload) != tt.wantPayload {
			t.Fatalf("%d: got v%d %q, want v%d %s %s", i, v, pubs, tt.wantVersion, tt.wantTopic, tt.wantPayload)
		}
		tw, ok := s.Twin(dev)
		if !ok {
			t.Fatal("Twin: unknown device")
		}
		got := encode(t, tw.Desired.Values)
		if got != tt.wantDesired || tw.Desired.Version != tt.wantVersion {
			t.Fatalf("%d: desired = v%d %s, want v%d %s", i, tw.Desired.Version, got, tt.wantVersion, tt.wantDesired)
		}
	}
	// The GET sees the desired properties too, and the reported ones are untouched.
	got := s.HandlePublish(dev, "$iothub/twin/GET/?$rid=g", nil)
	want := `{"desired":{"$version":4,"interval":30,"list":["x","y"],"net":{"apn":"a<b"}},"reported":{"$version":1}}`
	if len(got) != 1 || string(got[0].Payload) != want {
		t.Fatalf("GET = %q, want %s", got, want)
	}
}

func TestUpdateDesiredRefusesInvalidPatches(t *testing.T) {
	big := map[string]any{}
	for i := 0; i < 9; i++ {
		big["k"+string(rune('a'+i))] = strings.Repeat("x", twindoc.MaxStringBytes-10)
	}
	tests := []struct {
		name  string
		patch map[string]any
		want  error
	}{
		{"nil", nil, ErrInvalidPatch},
		{"key with space", map[string]any{"a b": 1}, twindoc.ErrInvalidKey},
		{"integer out of range", map[string]any{"n": int64(1) << 53}, twindoc.ErrIntegerOutOfRange},
		{"unmarshalable", map[string]any{"c": make(chan int)}, ErrInvalidPatch},
		{"too large", big, twindoc.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			_, pubs, err := s.UpdateDesired(dev, tt.patch)
			if !errors.Is(err, ErrInvalidPatch) || !errors.Is(err, tt.want) || pubs != nil {
				t.Fatalf("err = %v, pubs = %q; want %v", err, pubs, tt.want)
			}
			if tw, ok := s.Twin(dev); ok && tw.Desired.Version != InitialVersion {
				t.Fatalf("desired version changed to %d", tw.Desired.Version)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	s := New()
	s.FailNext(dev, 429, 2)
	s.FailNext(dev, 503, 1)
	s.FailNextOf(dev, twindoc.RequestPatchReported, 500, 1)
	s.FailNext(dev, 0, 1) // lost
	runSteps(t, s, []step{
		{"$iothub/twin/GET/?$rid=1", "", reply("$iothub/twin/res/429/?$rid=1", "")},
		{"$iothub/twin/PATCH/properties/reported/?$rid=2", `{"a":1}`, reply("$iothub/twin/res/429/?$rid=2", "")},
		{"$iothub/twin/GET/?$rid=3", "", reply("$iothub/twin/res/503/?$rid=3", "")},
		{"$iothub/twin/GET/?$rid=4", "", nil}, // the kind-specific 500 is skipped; the lost one applies
		{"$iothub/twin/PATCH/properties/reported/?$rid=5", `{"a":1}`, reply("$iothub/twin/res/500/?$rid=5", "")},
		{"$iothub/twin/PATCH/properties/reported/?$rid=6", `{"a":1}`, reply("$iothub/twin/res/204/?$rid=6&$version=2", "")},
		{"$iothub/twin/GET/?$rid=7", "", reply("$iothub/twin/res/200/?$rid=7", `{"desired":{"$version":1},"reported":{"$version":2,"a":1}}`)},
	})
	// Injections are per device, and n < 1 does nothing.
	s.FailNext("other", 500, 0)
	s.FailNext("other", 500, 1)
	if got := s.HandlePublish(dev, "$iothub/twin/GET/?$rid=8", nil); len(got) != 1 || !strings.HasPrefix(got[0].Topic, "$iothub/twin/res/200/") {
		t.Fatalf("dev1 GET = %q, want 200", got)
	}
}

func TestTwinIsACopy(t *testing.T) {
	s := New()
	if _, ok := s.Twin(dev); ok {
		t.Fatal("Twin of an unknown device: ok")
	}
	if _, _, err := s.UpdateDesired(dev, map[string]any{"o": map[string]any{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	tw, _ := s.Twin(dev)
	tw.Desired.Values["o"].(map[string]any)["x"] = "changed"
	tw2, _ := s.Twin(dev)
	if !reflect.DeepEqual(tw2.Desired.Values, map[string]any{"o": map[string]any{"x": json.Number("1")}}) {
		t.Fatalf("stored twin changed through a copy: %v", tw2.Desired.Values)
	}
}

func TestDevicesAreIndependent(t *testing.T) {
	s := New()
	s.HandlePublish("a", "$iothub/twin/PATCH/properties/reported/?$rid=1", []byte(`{"x":1}`))
	if _, _, err := s.UpdateDesired("b/mod", map[string]any{"y": 2}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Twin("a")
	b, _ := s.Twin("b/mod")
	if a.Reported.Version != 2 || a.Desired.Version != 1 || b.Reported.Version != 1 || b.Desired.Version != 2 {
		t.Fatalf("a = %+v, b = %+v", a, b)
	}
}

// encode marshals v without HTML escaping, as the hub writes JSON.
func encode(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
