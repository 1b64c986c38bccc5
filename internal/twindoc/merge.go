package twindoc

// Merge returns doc with patch applied by JSON merge-patch rules (RFC 7396),
// the rules IoT Hub uses for desired and reported patches: objects merge
// recursively, a null deletes the key, anything else (including an array)
// replaces the old value whole.
//
// Neither argument is modified and the result shares no map or slice with
// them, so a caller can validate the result (CheckSize) before committing it.
// A nil doc is an empty one.
func Merge(doc, patch map[string]any) map[string]any {
	out := Clone(doc)
	if out == nil {
		out = make(map[string]any, len(patch))
	}
	mergeInto(out, patch)
	return out
}

// mergeInto applies patch to dst, which the caller owns.
func mergeInto(dst, patch map[string]any) {
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			sub, ok := dst[k].(map[string]any)
			if !ok {
				sub = make(map[string]any, len(pv))
			}
			mergeInto(sub, pv)
			dst[k] = sub
		default:
			dst[k] = CloneValue(pv)
		}
	}
}

// Clone returns a deep copy of doc: maps and slices are copied, other values
// (nil, bool, string, json.Number, numbers) are immutable and shared. Clone of
// nil is nil.
func Clone(doc map[string]any) map[string]any {
	if doc == nil {
		return nil
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = CloneValue(v)
	}
	return out
}

// CloneValue returns a deep copy of one JSON value, as Clone does for each
// member of a map.
func CloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Clone(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = CloneValue(e)
		}
		return out
	}
	return v
}
