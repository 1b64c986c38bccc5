package shadowdoc

import (
	"testing"
)

func TestMetadataFor(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"scalar", `"RED"`, `{"timestamp":7}`},
		{"null (a deletion in update/accepted)", `null`, `{"timestamp":7}`},
		{"object", `{"a":1,"b":{"c":true}}`, `{"a":{"timestamp":7},"b":{"c":{"timestamp":7}}}`},
		{"empty object", `{}`, `{}`},
		{"array: per element", `["R","G"]`, `[{"timestamp":7},{"timestamp":7}]`},
		{"empty array", `[]`, `[]`},
		{"array of objects and arrays", `[{"x":1},[2]]`, `[{"x":{"timestamp":7}},[{"timestamp":7}]]`},
		{"member named timestamp", `{"timestamp":5}`, `{"timestamp":{"timestamp":7}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := decode([]byte(tt.value), &v); err != nil {
				t.Fatal(err)
			}
			if got := js(t, MetadataFor(v, 7)); got != canon(t, tt.want) {
				t.Errorf("MetadataFor(%s) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}
}

// TestApplyStateMetadata checks that stored metadata is merged like state:
// written leaves get the new timestamp, untouched ones keep theirs, deleted
// ones lose theirs, arrays and type changes replace metadata whole.
func TestApplyStateMetadata(t *testing.T) {
	doc := ApplyState(Document{}, UpdateState{Desired: Patch(obj(t,
		`{"keep":1,"gone":2,"obj":{"a":1,"b":2},"arr":[1,2,3],"flip":{"x":1},"toObj":5}`))}, 100)
	if got, want := js(t, doc.Metadata.Desired), canon(t, `{"keep":{"timestamp":100},"gone":{"timestamp":100},
		"obj":{"a":{"timestamp":100},"b":{"timestamp":100}},"arr":[{"timestamp":100},{"timestamp":100},{"timestamp":100}],
		"flip":{"x":{"timestamp":100}},"toObj":{"timestamp":100}}`); got != want {
		t.Fatalf("initial metadata = %s, want %s", got, want)
	}

	doc = ApplyState(doc, UpdateState{Desired: Patch(obj(t,
		`{"gone":null,"obj":{"b":3,"c":4},"arr":[9],"flip":"scalar","toObj":{"y":{}}}`))}, 200)
	wantState := canon(t, `{"keep":1,"obj":{"a":1,"b":3,"c":4},"arr":[9],"flip":"scalar","toObj":{"y":{}}}`)
	if got := js(t, doc.State.Desired); got != wantState {
		t.Errorf("state = %s, want %s", got, wantState)
	}
	wantMeta := canon(t, `{"keep":{"timestamp":100},"obj":{"a":{"timestamp":100},"b":{"timestamp":200},"c":{"timestamp":200}},
		"arr":[{"timestamp":200}],"flip":{"timestamp":200},"toObj":{"y":{}}}`)
	if got := js(t, doc.Metadata.Desired); got != wantMeta {
		t.Errorf("metadata = %s, want %s", got, wantMeta)
	}

	// Deleting the last nested member keeps the empty object and its empty metadata.
	doc = ApplyState(doc, UpdateState{Desired: Patch(obj(t, `{"obj":{"a":null,"b":null,"c":null}}`))}, 300)
	if got := js(t, doc.State.Desired["obj"]); got != `{}` {
		t.Errorf("obj = %s, want {}", got)
	}
	if got := js(t, doc.Metadata.Desired["obj"]); got != `{}` {
		t.Errorf("obj metadata = %s, want {}", got)
	}
}

func TestApplyStateRepairsMissingMetadata(t *testing.T) {
	// A document parsed from somewhere without metadata still merges cleanly.
	doc := Document{State: State{Desired: obj(t, `{"a":{"b":1},"c":2}`)}}
	got := ApplyState(doc, UpdateState{Desired: Patch(obj(t, `{"a":{"d":1}}`))}, 5)
	if s := js(t, got.Metadata.Desired); s != canon(t, `{"a":{"d":{"timestamp":5}}}`) {
		t.Errorf("metadata = %s", s)
	}
	if s := js(t, got.State.Desired); s != canon(t, `{"a":{"b":1,"d":1},"c":2}`) {
		t.Errorf("state = %s", s)
	}
}
