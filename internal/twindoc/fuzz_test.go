package twindoc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkTopicError asserts err is a *TopicError for topic matching exactly one
// of ErrTopicMismatch and ErrMalformedTopic.
func checkTopicError(t *testing.T, topic string, err error) {
	t.Helper()
	var te *TopicError
	if !errors.As(err, &te) || te.Topic != topic {
		t.Fatalf("error %v for %q is not a *TopicError for that topic", err, topic)
	}
	if errors.Is(err, ErrTopicMismatch) == errors.Is(err, ErrMalformedTopic) {
		t.Fatalf("error %v must match exactly one of ErrTopicMismatch, ErrMalformedTopic", err)
	}
}

func FuzzParseResponseTopic(f *testing.F) {
	f.Add("$iothub/twin/res/200/?$rid=1")
	f.Add("$iothub/twin/res/204/?$rid=abc&$version=7")
	f.Add("$iothub/twin/res/429/?x&$version=1&$rid=r&&")
	f.Add("$iothub/twin/res/204/?$rid=1&$version=99999999999999999999")
	f.Fuzz(func(t *testing.T, topic string) {
		r, err := ParseResponseTopic(topic)
		if err != nil {
			checkTopicError(t, topic, err)
			return
		}
		if r.Status < 100 || r.Status > 599 || r.RequestID == "" || !strings.Contains(topic, "$rid="+r.RequestID) {
			t.Fatalf("ParseResponseTopic(%q) = %+v breaks an invariant", topic, r)
		}
		if r.HasVersion && r.Version < 0 {
			t.Fatalf("negative version %d", r.Version)
		}
		if !r.HasVersion && r.Version != 0 {
			t.Fatalf("Version %d without HasVersion", r.Version)
		}
		built, err := ResponseTopic(r)
		if err != nil {
			if utf8.ValidString(r.RequestID) && !strings.ContainsAny(r.RequestID, "#+\x00") {
				t.Fatalf("ResponseTopic(%+v) refused an id an MQTT topic can carry: %v", r, err)
			}
			return
		}
		if again, err := ParseResponseTopic(built); err != nil || again != r {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", topic, r, built, again, err)
		}
	})
}

func FuzzParseDesiredTopic(f *testing.F) {
	f.Add("$iothub/twin/PATCH/properties/desired/?$version=1")
	f.Add("$iothub/twin/PATCH/properties/desired/?a=b&$version=123&c")
	f.Add("$iothub/twin/PATCH/properties/desired/?$version=")
	f.Fuzz(func(t *testing.T, topic string) {
		v, err := ParseDesiredTopic(topic)
		if err != nil {
			checkTopicError(t, topic, err)
			return
		}
		if v < 0 {
			t.Fatalf("negative version %d from %q", v, topic)
		}
		built, err := DesiredTopic(v)
		if err != nil {
			t.Fatalf("DesiredTopic(%d): %v", v, err)
		}
		if again, err := ParseDesiredTopic(built); err != nil || again != v {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", topic, v, built, again, err)
		}
	})
}

func FuzzParseRequestTopic(f *testing.F) {
	f.Add("$iothub/twin/GET/?$rid=1")
	f.Add("$iothub/twin/PATCH/properties/reported/?foo&$rid=x-y")
	f.Add("$iothub/twin/GET/?$rid=1&$rid=2")
	f.Fuzz(func(t *testing.T, topic string) {
		r, err := ParseRequestTopic(topic)
		if err != nil {
			checkTopicError(t, topic, err)
			return
		}
		if r.RequestID == "" || (r.Kind != RequestGet && r.Kind != RequestPatchReported) {
			t.Fatalf("ParseRequestTopic(%q) = %+v breaks an invariant", topic, r)
		}
		// The emulator answers every request whose topic MQTT allows.
		if utf8.ValidString(topic) && !strings.ContainsAny(topic, "#+\x00") {
			res, err := ResponseTopic(Response{Status: StatusOK, RequestID: r.RequestID})
			if err != nil {
				t.Fatalf("cannot answer %q: %v", topic, err)
			}
			if got, err := ParseResponseTopic(res); err != nil || got.RequestID != r.RequestID {
				t.Fatalf("answer %q to %q parses as %+v, %v", res, topic, got, err)
			}
		}
		if !ValidRequestID(r.RequestID) {
			return
		}
		build := GetTopic
		if r.Kind == RequestPatchReported {
			build = ReportedPatchTopic
		}
		built, err := build(r.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := ParseRequestTopic(built); err != nil || again != r {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", topic, r, built, again, err)
		}
	})
}

// checkProperties asserts the invariants of a parsed Properties.
func checkProperties(t *testing.T, p Properties) {
	t.Helper()
	if p.Values == nil || p.Version < 0 {
		t.Fatalf("Properties %+v: nil Values or negative version", p)
	}
	if _, ok := p.Values[VersionKey]; ok {
		t.Fatal("$version left in Values")
	}
	if _, ok := p.Values[MetadataKey]; ok {
		t.Fatal("$metadata left in Values")
	}
}

func FuzzParseTwin(f *testing.F) {
	f.Add([]byte(`{"desired":{"a":1,"$version":2},"reported":{"$version":1}}`))
	f.Add([]byte(`{"desired":{"$metadata":{"$lastUpdated":"t"},"$version":0,"n":{"m":[1,"x",null]}},"reported":{"s":"\u00e9","$version":9}}`))
	f.Add([]byte(`{"desired":{"$version":1.5},"reported":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		tw, err := ParseTwin(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformedDocument) {
				t.Fatalf("error %v does not match ErrMalformedDocument", err)
			}
			return
		}
		checkProperties(t, tw.Desired)
		checkProperties(t, tw.Reported)
		b, err := tw.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := ParseTwin(b)
		if err != nil || !reflect.DeepEqual(again, tw) {
			t.Fatalf("round trip %q -> %s -> %+v, %v; want %+v", payload, b, again, err, tw)
		}
	})
}

func FuzzParseDesiredPatch(f *testing.F) {
	f.Add([]byte(`{"a":null,"b":{"c":-4503599627370496},"$version":4}`))
	f.Add([]byte(`{"$version":0}`))
	f.Add([]byte(`{"$version":"1","x":1}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, err := ParseDesiredPatch(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformedDocument) {
				t.Fatalf("error %v does not match ErrMalformedDocument", err)
			}
			return
		}
		checkProperties(t, p)
		b, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := ParseDesiredPatch(b)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip %q -> %s -> %+v, %v; want %+v", payload, b, again, err, p)
		}
	})
}

func FuzzParseReportedPatch(f *testing.F) {
	f.Add([]byte(`{"fw":"1.2","net":{"rssi":-70,"ok":true,"gone":null},"list":[1,"a"]}`))
	f.Add([]byte(`{"n":4503599627370496}`))
	f.Add([]byte(`{"a b":1}`))
	f.Add([]byte(`{"a":[null]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := ParseReportedPatch(payload)
		if err != nil {
			var ve *ValidationError
			if errors.Is(err, ErrMalformedDocument) == errors.As(err, &ve) {
				t.Fatalf("error %v must be either ErrMalformedDocument or a *ValidationError", err)
			}
			if ve != nil && !errors.Is(err, ErrInvalidProperties) {
				t.Fatalf("*ValidationError %v does not match ErrInvalidProperties", err)
			}
			return
		}
		if Size(m) > MaxPropertiesSize {
			t.Fatalf("accepted a patch of size %d", Size(m))
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseReportedPatch(b)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip %q -> %s -> %v, %v", payload, b, again, err)
		}
	})
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a":{"b":"c"},"x":1}`), []byte(`{"a":{"b":"d","c":null},"x":null}`))
	f.Add([]byte(`{"a":["b"]}`), []byte(`{"a":{"bb":{"ccc":null}}}`))
	f.Add([]byte(`{}`), []byte(`{"n":[null,{"k":null}]}`))
	f.Fuzz(func(t *testing.T, docJSON, patchJSON []byte) {
		doc, err := DecodeObject(docJSON)
		if err != nil {
			return
		}
		patch, err := DecodeObject(patchJSON)
		if err != nil {
			return
		}
		got := Merge(doc, patch)

		if d2, _ := DecodeObject(docJSON); !reflect.DeepEqual(doc, d2) {
			t.Fatal("Merge modified doc")
		}
		if p2, _ := DecodeObject(patchJSON); !reflect.DeepEqual(patch, p2) {
			t.Fatal("Merge modified patch")
		}
		checkMerged(t, doc, patch, got)
		if again := Merge(got, patch); !reflect.DeepEqual(again, got) {
			t.Fatalf("Merge is not idempotent: %v then %v", got, again)
		}
	})
}

// checkMerged asserts the RFC 7396 rules member by member.
func checkMerged(t *testing.T, doc, patch, got map[string]any) {
	t.Helper()
	for k, pv := range patch {
		gv, present := got[k]
		switch pv := pv.(type) {
		case nil:
			if present {
				t.Fatalf("key %q deleted by the patch is still present", k)
			}
		case map[string]any:
			gm, ok := gv.(map[string]any)
			if !ok {
				t.Fatalf("key %q: patch object produced %T", k, gv)
			}
			dm, _ := doc[k].(map[string]any)
			checkMerged(t, dm, pv, gm)
		default:
			if !reflect.DeepEqual(gv, pv) {
				t.Fatalf("key %q = %v, want the patch's %v", k, gv, pv)
			}
		}
	}
	for k, gv := range got {
		if _, inPatch := patch[k]; inPatch {
			continue
		}
		dv, inDoc := doc[k]
		if !inDoc || !reflect.DeepEqual(gv, dv) {
			t.Fatalf("key %q = %v not from the patch, want doc's %v (present %v)", k, gv, dv, inDoc)
		}
	}
}

func FuzzMapKeys(f *testing.F) {
	f.Add([]byte(`{"fan speed":{"max rpm":10},"list":[{"a b":1}]}`))
	f.Add([]byte(`{"a b":1,"ab":2}`))
	f.Add([]byte(`{" ":{"  ":[]}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		doc, err := DecodeObject(payload)
		if err != nil {
			return
		}
		got, err := MapKeys(doc, nil)
		if err != nil {
			if !errors.Is(err, ErrKeyCollision) {
				t.Fatalf("error %v does not match ErrKeyCollision", err)
			}
			return
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if Size(got) > Size(doc) {
			t.Fatalf("mapped size %d > original %d", Size(got), Size(doc))
		}
		var check func(v any)
		check = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, e := range v {
					if strings.Contains(k, " ") {
						t.Fatalf("key %q still has a space in %s", k, b)
					}
					check(e)
				}
			case []any:
				for _, e := range v {
					check(e)
				}
			}
		}
		check(got)
		if len(got) != len(doc) {
			t.Fatalf("mapped %d root keys into %d", len(doc), len(got))
		}
	})
}
