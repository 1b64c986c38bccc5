package twin

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tether-iot/tether/internal/twindoc"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	m, err := twindoc.DecodeObject([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"equal", `{"a":1,"o":{"x":[1,2]}}`, `{"a":1,"o":{"x":[1,2]}}`, `{}`},
		{"from nothing", `{}`, `{"a":1,"o":{"x":1}}`, `{"a":1,"o":{"x":1}}`},
		{"to nothing", `{"a":1,"o":{"x":1}}`, `{}`, `{"a":null,"o":null}`},
		{"changed scalar", `{"a":1,"b":"x"}`, `{"a":2,"b":"x"}`, `{"a":2}`},
		{"type change", `{"a":1}`, `{"a":"1"}`, `{"a":"1"}`},
		{"nested change and delete", `{"o":{"x":1,"y":2,"z":{"k":true}}}`, `{"o":{"x":1,"z":{"k":false}}}`, `{"o":{"y":null,"z":{"k":false}}}`},
		{"object replaced by scalar", `{"o":{"x":1}}`, `{"o":5}`, `{"o":5}`},
		{"scalar replaced by object", `{"o":5}`, `{"o":{"x":1}}`, `{"o":{"x":1}}`},
		{"object emptied", `{"o":{"x":1}}`, `{"o":{}}`, `{"o":{"x":null}}`},
		{"array changed whole", `{"l":[1,2]}`, `{"l":[1,3]}`, `{"l":[1,3]}`},
		{"number literal differs", `{"n":1}`, `{"n":1.0}`, `{"n":1.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := decode(t, tt.old), decode(t, tt.new)
			got := diff(old, new)
			b, _ := json.Marshal(got)
			if string(b) != tt.want {
				t.Fatalf("diff = %s, want %s", b, tt.want)
			}
			if merged := twindoc.Merge(old, got); !reflect.DeepEqual(merged, new) {
				t.Fatalf("Merge(old, diff) = %v, want %v", merged, new)
			}
		})
	}
}

func TestDiffSharesNothing(t *testing.T) {
	new := decode(t, `{"o":{"x":[1]}}`)
	d := diff(nil, new)
	d["o"].(map[string]any)["x"].([]any)[0] = "changed"
	if js, _ := json.Marshal(new); string(js) != `{"o":{"x":[1]}}` {
		t.Fatalf("diff shares values with its input: %s", js)
	}
}

// FuzzDiff checks, for any two twin documents (desired properties as the
// hub sends them), that merging the diff into the old one gives the new one,
// and that a document has no diff with itself.
func FuzzDiff(f *testing.F) {
	f.Add(`{"a":1,"o":{"x":1,"y":[1,2]}}`, `{"o":{"y":[2],"z":{}},"b":"s"}`)
	f.Add(`{}`, `{"a":{"b":{"c":null}}}`)
	f.Add(`{"a":[{"b":1}]}`, `{"a":{"b":1}}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		old, err1 := twindoc.DecodeObject([]byte(a))
		new, err2 := twindoc.DecodeObject([]byte(b))
		if err1 != nil || err2 != nil {
			return
		}
		// The hub stores no null member: a null in a patch deletes.
		new = twindoc.Merge(nil, new)
		old = twindoc.Merge(nil, old)
		if d := diff(new, new); len(d) != 0 {
			t.Fatalf("diff of a document with itself: %v", d)
		}
		d := diff(old, new)
		if merged := twindoc.Merge(old, d); !reflect.DeepEqual(merged, new) {
			t.Fatalf("Merge(old, diff(old, new)) = %v, want %v (diff %v)", merged, new, d)
		}
	})
}
