package twin

import (
	"reflect"

	"github.com/tether-iot/tether/internal/twindoc"
)

// diff returns the JSON merge patch that turns old into new: keys only in
// old are nil, keys whose values differ carry the new value, and objects
// present in both carry the diff of their members. twindoc.Merge(old,
// diff(old, new)) equals new whenever new holds no nil member (the hub never
// stores one). It returns an empty, non-nil map when nothing differs.
func diff(old, new map[string]any) map[string]any {
	out := map[string]any{}
	for k := range old {
		if _, ok := new[k]; !ok {
			out[k] = nil
		}
	}
	for k, nv := range new {
		ov, ok := old[k]
		if !ok {
			out[k] = twindoc.CloneValue(nv)
			continue
		}
		om, oIsMap := ov.(map[string]any)
		nm, nIsMap := nv.(map[string]any)
		if oIsMap && nIsMap && om != nil && nm != nil {
			if sub := diff(om, nm); len(sub) > 0 {
				out[k] = sub
			}
			continue
		}
		if !reflect.DeepEqual(ov, nv) {
			out[k] = twindoc.CloneValue(nv)
		}
	}
	return out
}
