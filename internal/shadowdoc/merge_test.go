package shadowdoc

import (
	"testing"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name, section, patch, want string
	}{
		{"add to empty", `null`, `{"a":1}`, `{"a":1}`},
		{"replace scalar", `{"a":1,"b":2}`, `{"a":3}`, `{"a":3,"b":2}`},
		{"null deletes", `{"a":1,"b":2}`, `{"a":null}`, `{"b":2}`},
		{"null on absent key is a no-op", `{"a":1}`, `{"z":null}`, `{"a":1}`},
		{"last key deleted removes the section", `{"a":1}`, `{"a":null}`, `null`},
		{"empty patch keeps the section", `{"a":1}`, `{}`, `{"a":1}`},
		{"empty patch on empty section stays absent", `null`, `{}`, `null`},
		{"nested merge", `{"l":{"c":{"r":1,"g":2}},"x":1}`, `{"l":{"c":{"g":3,"b":4}}}`, `{"l":{"c":{"b":4,"g":3,"r":1}},"x":1}`},
		{"nested delete keeps empty parent", `{"s":{"sub":"123"},"k":1}`, `{"s":{"sub":null}}`, `{"k":1,"s":{}}`},
		{"array replaced whole", `{"c":["RED","GREEN","BLUE"]}`, `{"c":["RED"]}`, `{"c":["RED"]}`},
		{"array not merged with object patch", `{"c":[1,2]}`, `{"c":{"0":9}}`, `{"c":{"0":9}}`},
		{"object replaced by scalar", `{"b":{"c":3}}`, `{"b":7}`, `{"b":7}`},
		{"scalar replaced by object", `{"a":1,"b":{"c":3}}`, `{"b":{"c":{"d":3}}}`, `{"a":1,"b":{"c":{"d":3}}}`},
		{"new empty object is stored", `{"a":1,"b":{"c":3}}`, `{"a":1,"b":{"c":3},"d":{}}`, `{"a":1,"b":{"c":3},"d":{}}`},
		{"empty object replaces scalar", `{"b":{"c":3}}`, `{"b":{"c":{}}}`, `{"b":{"c":{}}}`},
		{"new object of only nulls is stored empty", `{"a":1}`, `{"n":{"x":null}}`, `{"a":1,"n":{}}`},
		{"array of objects replaced whole", `{"a":[{"x":1,"y":2}]}`, `{"a":[{"x":5}]}`, `{"a":[{"x":5}]}`},
		{"number literal kept", `{}`, `{"big":12345678901234567890,"f":0.1,"e":1E+2}`, `{"big":12345678901234567890,"e":1E+2,"f":0.1}`},
		{"all members deleted", `{"a":1,"b":{"c":1}}`, `{"a":null,"b":null}`, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			section, patch := obj(t, tt.section), obj(t, tt.patch)
			sectionBefore, patchBefore := js(t, section), js(t, patch)
			got := Merge(section, patch)
			if js(t, got) != canon(t, tt.want) {
				t.Errorf("Merge(%s, %s) = %s, want %s", tt.section, tt.patch, js(t, got), tt.want)
			}
			if tt.want == "null" && got != nil {
				t.Errorf("want a nil section, got %#v", got)
			}
			if js(t, section) != sectionBefore || js(t, patch) != patchBefore {
				t.Error("Merge modified its inputs")
			}
		})
	}
}

func TestMergeResultDoesNotAliasPatch(t *testing.T) {
	patch := obj(t, `{"o":{"a":[1,{"b":2}]}}`)
	got := Merge(nil, patch)
	got["o"].(map[string]any)["a"].([]any)[1].(map[string]any)["b"] = "changed"
	if js(t, patch) != `{"o":{"a":[1,{"b":2}]}}` {
		t.Errorf("mutating the result changed the patch: %s", js(t, patch))
	}
}

func TestApplyStateSections(t *testing.T) {
	base := Document{
		State: State{
			Desired:  obj(t, `{"color":"RED","engine":"ON"}`),
			Reported: obj(t, `{"color":"GREEN"}`),
		},
		Version:     9,
		ClientToken: "kept",
	}
	base.Metadata.Desired = MetadataFor(base.State.Desired, 100).(map[string]any)
	base.Metadata.Reported = MetadataFor(base.State.Reported, 100).(map[string]any)

	tests := []struct {
		name                 string
		upd                  UpdateState
		desired, reported    string
		delta                string
		metaDesired, metaRep string
	}{
		{
			name:     "absent sections untouched",
			upd:      UpdateState{},
			desired:  `{"color":"RED","engine":"ON"}`,
			reported: `{"color":"GREEN"}`,
			delta:    `{"color":"RED","engine":"ON"}`,
		},
		{
			name:     "desired null clears desired and its delta",
			upd:      UpdateState{Desired: Clear(), Reported: Patch(obj(t, `{"color":"RED"}`))},
			desired:  `null`,
			reported: `{"color":"RED"}`,
			delta:    `null`,
		},
		{
			name:     "state null clears everything",
			upd:      UpdateState{Null: true, Desired: Patch(obj(t, `{"ignored":1}`))},
			desired:  `null`,
			reported: `null`,
			delta:    `null`,
		},
		{
			name:     "reported catches up",
			upd:      UpdateState{Reported: Patch(obj(t, `{"color":"RED","engine":"ON"}`))},
			desired:  `{"color":"RED","engine":"ON"}`,
			reported: `{"color":"RED","engine":"ON"}`,
			delta:    `null`,
		},
		{
			name:     "reported null key",
			upd:      UpdateState{Reported: Patch(obj(t, `{"color":null}`))},
			desired:  `{"color":"RED","engine":"ON"}`,
			reported: `null`,
			delta:    `{"color":"RED","engine":"ON"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := js(t, base)
			got := ApplyState(base, tt.upd, 200)
			if js(t, base) != before {
				t.Fatal("ApplyState modified its input")
			}
			if s := js(t, got.State.Desired); s != canon(t, tt.desired) {
				t.Errorf("desired = %s, want %s", s, tt.desired)
			}
			if s := js(t, got.State.Reported); s != canon(t, tt.reported) {
				t.Errorf("reported = %s, want %s", s, tt.reported)
			}
			if s := js(t, got.State.Delta); s != canon(t, tt.delta) {
				t.Errorf("delta = %s, want %s", s, tt.delta)
			}
			if (got.State.Desired == nil) != (got.Metadata.Desired == nil) ||
				(got.State.Reported == nil) != (got.Metadata.Reported == nil) {
				t.Errorf("metadata sections out of step with state: %s", js(t, got))
			}
			if got.Version != 9 || got.ClientToken != "kept" || got.Timestamp != 200 {
				t.Errorf("version/token/timestamp = %d/%q/%d, want 9/kept/200", got.Version, got.ClientToken, got.Timestamp)
			}
		})
	}
}
