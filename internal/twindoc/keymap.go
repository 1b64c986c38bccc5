package twindoc

import (
	"maps"
	"slices"
	"strconv"
)

// RemoveSpaces is the default key mapping of MapKeys: it deletes every space
// (U+0020), which the hub forbids in keys, the way firmware ported from AWS
// shadows ("fan speed") has been adapted ("fanspeed").
func RemoveSpaces(key string) string {
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		if key[i] != ' ' {
			b = append(b, key[i])
		}
	}
	if len(b) == len(key) {
		return key
	}
	return string(b)
}

// MapKeys returns a deep copy of doc in which every key, in nested objects and
// in objects inside arrays, is replaced by mapKey(key); a nil mapKey means
// RemoveSpaces. It is opt-in: use it for firmware written for AWS-style
// property names before Validate. doc is not modified.
//
// When two keys of one object map to the same key ("a b" and "ab" under
// RemoveSpaces), nothing is returned but a *ValidationError matching
// ErrKeyCollision, whose Path points at the mapped key (collisions are
// looked for in sorted key order, so the report is deterministic).
func MapKeys(doc map[string]any, mapKey func(string) string) (map[string]any, error) {
	if mapKey == nil {
		mapKey = RemoveSpaces
	}
	if doc == nil {
		return nil, nil
	}
	w := walker{path: make([]string, 0, 8)}
	return w.mapObject(doc, mapKey)
}

func (w *walker) mapObject(m map[string]any, mapKey func(string) string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	from := make(map[string]string, len(m)) // mapped key -> original key
	for _, k := range slices.Sorted(maps.Keys(m)) {
		nk := mapKey(k)
		if prev, dup := from[nk]; dup {
			w.path = append(w.path, nk)
			return nil, w.fail(ErrKeyCollision, "keys %q and %q both map to %q", prev, k, nk)
		}
		from[nk] = k
		w.path = append(w.path, nk)
		v, err := w.mapValue(m[k], mapKey)
		if err != nil {
			return nil, err
		}
		w.path = w.path[:len(w.path)-1]
		out[nk] = v
	}
	return out, nil
}

func (w *walker) mapValue(v any, mapKey func(string) string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v, nil
		}
		return w.mapObject(v, mapKey)
	case []any:
		if v == nil {
			return v, nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			w.path = append(w.path, strconv.Itoa(i))
			mv, err := w.mapValue(e, mapKey)
			if err != nil {
				return nil, err
			}
			w.path = w.path[:len(w.path)-1]
			out[i] = mv
		}
		return out, nil
	}
	return v, nil
}
