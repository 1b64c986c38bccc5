package twindoc

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParseTwin(t *testing.T) {
	payload := []byte(`{
		"desired": {"interval": 30, "big": 4503599627370495, "f": 1.10, "nested": {"a": "x"},
			"$metadata": {"$lastUpdated": "2024-01-01T00:00:00Z"}, "$version": 12},
		"reported": {"fw": "1.2", "$version": 9223372036854775807},
		"tags": {"ignored": true}
	}`)
	got, err := ParseTwin(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := Twin{
		Desired: Properties{
			Values: map[string]any{
				"interval": json.Number("30"),
				"big":      json.Number("4503599627370495"),
				"f":        json.Number("1.10"),
				"nested":   map[string]any{"a": "x"},
			},
			Version:  12,
			Metadata: map[string]any{"$lastUpdated": "2024-01-01T00:00:00Z"},
		},
		Reported: Properties{Values: map[string]any{"fw": "1.2"}, Version: 9223372036854775807},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseTwin =\n%#v\nwant\n%#v", got, want)
	}
}

func TestParseTwinErrors(t *testing.T) {
	tests := map[string]string{
		"empty":               ``,
		"not json":            `{`,
		"array":               `[]`,
		"null":                `null`,
		"trailing data":       `{"desired":{"$version":1},"reported":{"$version":1}} {}`,
		"invalid utf8":        "{\"desired\":{\"$version\":1,\"a\":\"\xff\"},\"reported\":{\"$version\":1}}",
		"missing desired":     `{"reported":{"$version":1}}`,
		"missing reported":    `{"desired":{"$version":1}}`,
		"desired not object":  `{"desired":1,"reported":{"$version":1}}`,
		"reported null":       `{"desired":{"$version":1},"reported":null}`,
		"no desired version":  `{"desired":{},"reported":{"$version":1}}`,
		"no reported version": `{"desired":{"$version":1},"reported":{}}`,
		"version string":      `{"desired":{"$version":"1"},"reported":{"$version":1}}`,
		"version float":       `{"desired":{"$version":1.0},"reported":{"$version":1}}`,
		"version negative":    `{"desired":{"$version":-1},"reported":{"$version":1}}`,
		"version overflow":    `{"desired":{"$version":9223372036854775808},"reported":{"$version":1}}`,
		"metadata not object": `{"desired":{"$version":1,"$metadata":[]},"reported":{"$version":1}}`,
	}
	for name, payload := range tests {
		if got, err := ParseTwin([]byte(payload)); !errors.Is(err, ErrMalformedDocument) {
			t.Errorf("%s: ParseTwin(%q) = %+v, %v; want ErrMalformedDocument", name, payload, got, err)
		}
	}
}

func TestParseTwinWrapsDecoderError(t *testing.T) {
	_, err := ParseTwin([]byte(`{"desired" 1}`))
	var syntax *json.SyntaxError
	if !errors.Is(err, ErrMalformedDocument) || !errors.As(err, &syntax) {
		t.Fatalf("error = %v, want ErrMalformedDocument wrapping *json.SyntaxError", err)
	}
}

func TestParseDesiredPatch(t *testing.T) {
	got, err := ParseDesiredPatch([]byte(`{"a":null,"b":{"c":-4503599627370496},"$version":4}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Properties{Values: map[string]any{"a": nil, "b": map[string]any{"c": json.Number("-4503599627370496")}}, Version: 4}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDesiredPatch = %#v, want %#v", got, want)
	}
	empty, err := ParseDesiredPatch([]byte(`{"$version":0}`))
	if err != nil || empty.Values == nil || len(empty.Values) != 0 || empty.Version != 0 {
		t.Fatalf("ParseDesiredPatch(only version) = %#v, %v; want empty non-nil Values", empty, err)
	}
	for _, bad := range []string{`{"a":1}`, `{"$version":null}`, `{"$version":1e3}`, `1`, `"x"`} {
		if _, err := ParseDesiredPatch([]byte(bad)); !errors.Is(err, ErrMalformedDocument) {
			t.Errorf("ParseDesiredPatch(%s) error = %v, want ErrMalformedDocument", bad, err)
		}
	}
}

func TestParseReportedPatch(t *testing.T) {
	got, err := ParseReportedPatch([]byte(`{"fw":"1.2","net":{"rssi":-70,"ok":true,"gone":null},"list":[1,"a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"fw":   "1.2",
		"net":  map[string]any{"rssi": json.Number("-70"), "ok": true, "gone": nil},
		"list": []any{json.Number("1"), "a"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseReportedPatch = %#v, want %#v", got, want)
	}
	if _, err := ParseReportedPatch([]byte(`{"a":`)); !errors.Is(err, ErrMalformedDocument) {
		t.Errorf("bad JSON: error = %v, want ErrMalformedDocument", err)
	}
	if _, err := ParseReportedPatch([]byte(`{"$version":3}`)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("$version in a reported patch: error = %v, want ErrInvalidKey", err)
	}
	if _, err := ParseReportedPatch([]byte(`{"n":4503599627370496}`)); !errors.Is(err, ErrIntegerOutOfRange) {
		t.Errorf("out-of-range integer: error = %v, want ErrIntegerOutOfRange", err)
	}
}

func TestPropertiesMarshalJSON(t *testing.T) {
	p := Properties{
		Values:   map[string]any{"a": json.Number("4503599627370495"), "html": "<&>", "$version": "user value loses"},
		Version:  3,
		Metadata: map[string]any{"$lastUpdated": "t"},
	}
	got, err := json.Marshal(p) // json.Marshal re-escapes HTML; compare decoded values
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDesiredPatch(got)
	if err != nil {
		t.Fatal(err)
	}
	want := Properties{Values: map[string]any{"a": json.Number("4503599627370495"), "html": "<&>"}, Version: 3, Metadata: map[string]any{"$lastUpdated": "t"}}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip = %#v, want %#v", back, want)
	}
	direct, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"$metadata":{"$lastUpdated":"t"},"$version":3,"a":4503599627370495,"html":"<&>"}`; string(direct) != want {
		t.Fatalf("MarshalJSON = %s, want %s", direct, want)
	}
	noMeta, err := Properties{Version: 1}.MarshalJSON()
	if err != nil || string(noMeta) != `{"$version":1}` {
		t.Fatalf("MarshalJSON(no values, no metadata) = %s, %v", noMeta, err)
	}
	if _, err := (Properties{Values: map[string]any{"n": json.Number("x")}}).MarshalJSON(); err == nil {
		t.Fatal("MarshalJSON with an invalid json.Number succeeded")
	}
}

func TestTwinMarshalRoundTrip(t *testing.T) {
	in := Twin{
		Desired:  Properties{Values: map[string]any{"x": json.Number("1e400"), "s": "<b>"}, Version: 10},
		Reported: Properties{Values: map[string]any{}, Version: 0, Metadata: map[string]any{"$lastUpdated": "t"}},
	}
	b, err := in.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"desired":{"$version":10,"s":"<b>","x":1e400},"reported":{"$metadata":{"$lastUpdated":"t"},"$version":0}}`; string(b) != want {
		t.Fatalf("MarshalJSON = %s, want %s", b, want)
	}
	out, err := ParseTwin(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip = %#v, want %#v", out, in)
	}
}

func BenchmarkParseTwin(b *testing.B) {
	payload := []byte(`{"desired":{"interval":30,"mode":"eco","limits":{"lo":-4,"hi":40.5},"$version":12},"reported":{"fw":"1.2.3","uptime":123456,"$version":40}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTwin(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDesiredPatch(b *testing.B) {
	payload := []byte(`{"interval":60,"mode":null,"$version":13}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDesiredPatch(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEncodeDoesNotEscapeHTML(t *testing.T) {
	b, err := Encode(map[string]any{"a": "<b>&</b>"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"a":"<b>&</b>"}`; got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
}

func TestNormalize(t *testing.T) {
	type point struct {
		X int `json:"x"`
	}
	in := map[string]any{"n": 7, "f": 1.5, "p": point{X: 2}, "l": []int{1}, "gone": nil}
	got, err := Normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"n": json.Number("7"), "f": json.Number("1.5"),
		"p": map[string]any{"x": json.Number("2")}, "l": []any{json.Number("1")}, "gone": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Normalize = %#v, want %#v", got, want)
	}
	if _, err := Normalize(map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("Normalize of an unencodable value: no error")
	}
}
