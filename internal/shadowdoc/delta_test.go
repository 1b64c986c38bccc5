package shadowdoc

import (
	"encoding/json"
	"math"
	"testing"
)

func TestComputeDelta(t *testing.T) {
	tests := []struct {
		name, desired, reported, want string
	}{
		// Cases verified against AWS in moto's iotdata tests.
		{"boolean flip", `{"online":true}`, `{"online":false}`, `{"online":true}`},
		{"equal, reported has more", `{"enabled":true}`, `{"online":false,"enabled":true}`, `null`},
		{"no desired", `null`, `{"online":false}`, `null`},
		{"empty reported", `{"enabled":true}`, `null`, `{"enabled":true}`},
		{"missing key", `{"enabled":true}`, `{"online":true}`, `{"enabled":true}`},
		{"array shorter", `{"list":["value_1"]}`, `{"list":["value_1","value_2"]}`, `{"list":["value_1"]}`},
		{"array element changed: whole array", `{"list":["value_1","value_3"]}`, `{"list":["value_1","value_2"]}`, `{"list":["value_1","value_3"]}`},
		{"nested arrays", `{"list":[["value_1"]]}`, `{"list":[["value_1"],["value_2"]]}`, `{"list":[["value_1"]]}`},
		{"array in nested object", `{"a":{"b":["c","d"]}}`, `{"a":{"b":["d"]}}`, `{"a":{"b":["c","d"]}}`},
		{"nested path kept", `{"a":{"b":{"c":"d2"}}}`, `{"a":{"b":{"c":"d","e":"f"}}}`, `{"a":{"b":{"c":"d2"}}}`},
		{"equal subtree dropped", `{"a1":{"b1":{"c":"d"}},"a2":{"b2":"sth"}}`, `{"a1":{"b1":{"c":"d"}}}`, `{"a2":{"b2":"sth"}}`},
		{"sibling equal dropped", `{"a":{"b1":{"c":"d"},"b2":"sth"}}`, `{"a":{"b1":{"c":"d"}}}`, `{"a":{"b2":"sth"}}`},
		{"no reported: delta is desired, empty objects included", `{"a":1,"b":{"c":{}},"d":{}}`, `null`, `{"a":1,"b":{"c":{}},"d":{}}`},
		// AWS developer guide example.
		{"lights", `{"lights":{"color":{"r":255,"g":255,"b":255}}}`, `{"lights":{"color":{"r":255,"g":0,"b":255}}}`, `{"lights":{"color":{"g":255}}}`},
		{"guide example", `{"color":"RED","state":"STOP"}`, `{"color":"GREEN","engine":"ON"}`, `{"color":"RED","state":"STOP"}`},
		// Types and numbers.
		{"number vs string", `{"a":1}`, `{"a":"1"}`, `{"a":1}`},
		{"1 equals 1.0", `{"a":1}`, `{"a":1.0}`, `null`},
		{"100 equals 1e2", `{"a":100}`, `{"a":1e2}`, `null`},
		{"0.1 equals 1E-1", `{"a":0.1}`, `{"a":1E-1}`, `null`},
		{"-0 equals 0", `{"a":-0}`, `{"a":0}`, `null`},
		{"big integers compared exactly", `{"a":9007199254740993}`, `{"a":9007199254740992}`, `{"a":9007199254740993}`},
		{"true vs 1", `{"a":true}`, `{"a":1}`, `{"a":true}`},
		{"object vs scalar: whole object", `{"a":{"b":1,"e":{}}}`, `{"a":5}`, `{"a":{"b":1,"e":{}}}`},
		{"scalar vs object", `{"a":5}`, `{"a":{"b":1}}`, `{"a":5}`},
		{"array vs object", `{"a":[1]}`, `{"a":{"0":1}}`, `{"a":[1]}`},
		{"array order matters", `{"a":[1,2]}`, `{"a":[2,1]}`, `{"a":[1,2]}`},
		{"arrays equal by value", `{"a":[1,{"x":2.0}]}`, `{"a":[1.0,{"x":2}]}`, `null`},
		{"reported null counts as absent", `{"a":1}`, `{"a":null}`, `{"a":1}`},
		{"empty desired object vs reported object", `{"a":{}}`, `{"a":{"x":1}}`, `null`},
		{"empty desired object equal", `{"d":{}}`, `{"d":{}}`, `null`},
		{"empty desired object, reported scalar", `{"d":{}}`, `{"d":1}`, `{"d":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired, reported := obj(t, tt.desired), obj(t, tt.reported)
			d0, r0 := js(t, desired), js(t, reported)
			got := ComputeDelta(desired, reported)
			if js(t, got) != canon(t, tt.want) {
				t.Errorf("ComputeDelta(%s, %s) = %s, want %s", tt.desired, tt.reported, js(t, got), tt.want)
			}
			if tt.want == "null" && got != nil {
				t.Errorf("no difference must give nil, got %#v", got)
			}
			if js(t, desired) != d0 || js(t, reported) != r0 {
				t.Error("ComputeDelta modified its inputs")
			}
		})
	}
}

func TestDeltaMetadata(t *testing.T) {
	doc := ApplyState(Document{}, UpdateState{
		Desired:  Patch(obj(t, `{"a":1,"l":{"c":{"r":1,"g":2}},"arr":[1,2],"same":true}`)),
		Reported: Patch(obj(t, `{"a":1,"l":{"c":{"r":1,"g":0}},"same":true}`)),
	}, 42)
	if got, want := js(t, doc.State.Delta), canon(t, `{"l":{"c":{"g":2}},"arr":[1,2]}`); got != want {
		t.Fatalf("delta = %s, want %s", got, want)
	}
	got := js(t, DeltaMetadata(doc.State.Delta, doc.Metadata.Desired))
	want := canon(t, `{"l":{"c":{"g":{"timestamp":42}}},"arr":[{"timestamp":42},{"timestamp":42}]}`)
	if got != want {
		t.Errorf("DeltaMetadata = %s, want %s", got, want)
	}
	if DeltaMetadata(nil, doc.Metadata.Desired) != nil {
		t.Error("DeltaMetadata(nil, ...) must be nil")
	}
	// Delta members without metadata are left out, not invented.
	if got := js(t, DeltaMetadata(obj(t, `{"x":1,"l":{"q":1}}`), doc.Metadata.Desired)); got != `{"l":{}}` {
		t.Errorf("DeltaMetadata with missing metadata = %s, want {\"l\":{}}", got)
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"nil nil", nil, nil, true},
		{"nil false", nil, false, false},
		{"json numbers by value", json.Number("1"), json.Number("1.000"), true},
		{"exponent forms", json.Number("12.5e1"), json.Number("125"), true},
		{"negative exponent", json.Number("1250e-1"), json.Number("125"), true},
		{"different values", json.Number("1"), json.Number("1.0000000000000000000001"), false},
		{"sign", json.Number("-1"), json.Number("1"), false},
		{"zero forms", json.Number("-0.0e5"), json.Number("0"), true},
		{"huge exponent does not allocate", json.Number("1e999999999999999999999"), json.Number("10e999999999999999999998"), true},
		{"huge exponents differ", json.Number("1e999999999999999999999"), json.Number("1e999999999999999999998"), false},
		{"int vs json.Number", 3, json.Number("3.0"), true},
		{"int64 vs uint8", int64(7), uint8(7), true},
		{"float64 vs json.Number", 0.1, json.Number("0.1"), true},
		{"float64 1e21", 1e21, json.Number("1000000000000000000000"), true},
		{"float32", float32(0.5), json.Number("0.5"), true},
		{"NaN", math.NaN(), math.NaN(), true},
		{"NaN vs number", math.NaN(), json.Number("0"), false},
		{"number vs string", json.Number("1"), "1", false},
		{"string", "a", "a", true},
		{"bool", true, true, true},
		{"objects", map[string]any{"a": 1, "b": []any{"x"}}, map[string]any{"b": []any{"x"}, "a": json.Number("1")}, true},
		{"objects differ in keys", map[string]any{"a": 1}, map[string]any{"b": 1}, false},
		{"objects differ in size", map[string]any{"a": 1}, map[string]any{"a": 1, "b": 2}, false},
		{"arrays", []any{1, "a"}, []any{json.Number("1"), "a"}, true},
		{"arrays differ in length", []any{1}, []any{1, 1}, false},
		{"array vs object", []any{}, map[string]any{}, false},
		{"other types", struct{ X int }{1}, struct{ X int }{1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := Equal(tt.b, tt.a); got != tt.want {
				t.Errorf("Equal(%v, %v) (swapped) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}
