package twindoc

import (
	"encoding/json"
	"reflect"
	"testing"
)

func mustDecode(t testing.TB, s string) map[string]any {
	t.Helper()
	m, err := DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("DecodeObject(%s): %v", s, err)
	}
	return m
}

// TestMerge includes the examples of RFC 7396 appendix A whose target and
// patch are objects.
func TestMerge(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string
	}{
		{"replace", `{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{"add", `{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{"delete", `{"a":"b"}`, `{"a":null}`, `{}`},
		{"delete one of two", `{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{"array replaced by scalar", `{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{"scalar replaced by array", `{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{"nested merge and delete", `{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{"array replaced whole", `{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{"nulls inside new object dropped", `{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{"object over scalar", `{"a":"foo"}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{"empty patch", `{"a":1}`, `{}`, `{"a":1}`},
		{"delete missing key", `{"a":1}`, `{"x":null}`, `{"a":1}`},
		{"null inside array kept", `{}`, `{"a":[null]}`, `{"a":[null]}`},
		{"exact numbers kept", `{"n":1}`, `{"n":4503599627370495,"f":1.10}`, `{"n":4503599627370495,"f":1.10}`},
		{"deep", `{"a":{"b":{"c":{"d":1,"e":2}}}}`, `{"a":{"b":{"c":{"d":null,"f":3}}}}`, `{"a":{"b":{"c":{"e":2,"f":3}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, patch, want := mustDecode(t, tt.doc), mustDecode(t, tt.patch), mustDecode(t, tt.want)
			if got := Merge(doc, patch); !reflect.DeepEqual(got, want) {
				t.Fatalf("Merge(%s, %s) = %v, want %v", tt.doc, tt.patch, got, want)
			}
			if !reflect.DeepEqual(doc, mustDecode(t, tt.doc)) || !reflect.DeepEqual(patch, mustDecode(t, tt.patch)) {
				t.Fatal("Merge modified its arguments")
			}
		})
	}
}

func TestMergeNilDoc(t *testing.T) {
	got := Merge(nil, map[string]any{"a": json.Number("1"), "b": nil})
	if want := map[string]any{"a": json.Number("1")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge(nil, ...) = %v, want %v", got, want)
	}
	if got := Merge(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("Merge(nil, nil) = %#v, want an empty map", got)
	}
}

func TestMergeResultSharesNothing(t *testing.T) {
	doc := map[string]any{"keep": map[string]any{"x": "1"}, "arr": []any{"a"}}
	patch := map[string]any{"new": map[string]any{"y": "2"}, "list": []any{map[string]any{"z": "3"}}}
	got := Merge(doc, patch)
	got["keep"].(map[string]any)["x"] = "changed"
	got["arr"].([]any)[0] = "changed"
	got["new"].(map[string]any)["y"] = "changed"
	got["list"].([]any)[0].(map[string]any)["z"] = "changed"
	if doc["keep"].(map[string]any)["x"] != "1" || doc["arr"].([]any)[0] != "a" {
		t.Fatal("result aliases doc")
	}
	if patch["new"].(map[string]any)["y"] != "2" || patch["list"].([]any)[0].(map[string]any)["z"] != "3" {
		t.Fatal("result aliases patch")
	}
}

func TestClone(t *testing.T) {
	if Clone(nil) != nil {
		t.Fatal("Clone(nil) != nil")
	}
	in := map[string]any{"a": []any{map[string]any{"b": "c"}, nil}, "n": json.Number("1"), "e": []any(nil)}
	out := Clone(in)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("Clone = %v, want %v", out, in)
	}
	out["a"].([]any)[0].(map[string]any)["b"] = "x"
	if in["a"].([]any)[0].(map[string]any)["b"] != "c" {
		t.Fatal("Clone shares a nested map")
	}
}
