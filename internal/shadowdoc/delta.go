package shadowdoc

// ComputeDelta returns the delta state the service computes: for every member
// of desired,
//
//   - absent from reported (or null there): copied whole, empty objects
//     included (AWS returns "d":{} in the delta when reported has no "d");
//   - an object in both: recursed into, and kept only if the recursion found a
//     difference, so the delta keeps the full path to each differing member;
//   - otherwise (scalars, arrays, or different types): copied whole unless
//     Equal to the reported value. Arrays are compared whole, 1 and 1.0 are
//     equal, 1 and "1" are not.
//
// Members only in reported never appear. The result is nil when there is no
// difference. Inputs are not modified and the result shares nothing with them.
func ComputeDelta(desired, reported map[string]any) map[string]any {
	var out map[string]any
	for k, dv := range desired {
		rv, inReported := reported[k]
		var d any
		switch {
		case !inReported || rv == nil:
			d = deepCopy(dv)
		default:
			dm, dIsObject := dv.(map[string]any)
			rm, rIsObject := rv.(map[string]any)
			if dIsObject && rIsObject {
				sub := ComputeDelta(dm, rm)
				if sub == nil {
					continue
				}
				d = sub
			} else if Equal(dv, rv) {
				continue
			} else {
				d = deepCopy(dv)
			}
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = d
	}
	return out
}

// DeltaMetadata restricts desiredMeta (the metadata of the desired section)
// to the members present in delta, as the service does for the metadata of
// update/delta. Members of delta without metadata (an inconsistent document)
// are left out. The result is nil when delta is nil.
func DeltaMetadata(delta, desiredMeta map[string]any) map[string]any {
	if delta == nil {
		return nil
	}
	out := make(map[string]any, len(delta))
	for k, dv := range delta {
		mv, ok := desiredMeta[k]
		if !ok {
			continue
		}
		dm, dIsObject := dv.(map[string]any)
		mm, mIsObject := mv.(map[string]any)
		if dIsObject && mIsObject {
			out[k] = DeltaMetadata(dm, mm)
			continue
		}
		out[k] = deepCopy(mv)
	}
	return out
}
