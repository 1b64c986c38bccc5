package shadowdoc

import (
	"encoding/json"
	"strconv"
)

// Merge applies patch to one section (desired or reported) the way the
// service does, and returns the new section without modifying either input:
//
//   - objects merge recursively, member by member;
//   - a member set to null is deleted (deleting an absent member is a no-op);
//   - any other value (string, number, bool, array) replaces the member whole:
//     arrays are never merged element-wise;
//   - a nested object emptied by deletions stays, as {} (AWS keeps it);
//   - the section itself is removed (nil is returned) when it ends up empty.
//
// This is JSON Merge Patch (RFC 7396) plus the removal of an empty section.
func Merge(section, patch map[string]any) map[string]any {
	out := copyObject(section)
	if out == nil {
		out = map[string]any{}
	}
	mergeInto(out, nil, patch, "")
	if len(out) == 0 {
		return nil
	}
	return out
}

// ApplyState applies the state of an update (a request, or the echo in
// update/accepted) to doc and returns the new document: sections merged as
// Merge describes, metadata merged alongside (every member written gets
// {"timestamp": ts}, deleted members lose theirs, arrays get per-element
// metadata), delta recomputed and Timestamp set to ts. "desired": null
// deletes desired and its metadata; "state": null deletes both sections.
// Version and ClientToken are copied unchanged; doc is not modified.
func ApplyState(doc Document, upd UpdateState, ts int64) Document {
	stamp := timestampNumber(ts)
	out := Document{Version: doc.Version, ClientToken: doc.ClientToken, Timestamp: ts}
	if upd.Null {
		return out
	}
	out.State.Desired, out.Metadata.Desired = applySection(doc.State.Desired, doc.Metadata.Desired, upd.Desired, stamp)
	out.State.Reported, out.Metadata.Reported = applySection(doc.State.Reported, doc.Metadata.Reported, upd.Reported, stamp)
	out.State.Delta = ComputeDelta(out.State.Desired, out.State.Reported)
	return out
}

// applySection applies one Section to a section and its metadata.
func applySection(state, meta map[string]any, s Section, stamp json.Number) (map[string]any, map[string]any) {
	switch {
	case s.Null:
		return nil, nil
	case s.Fields == nil:
		return copyObject(state), copyObject(meta)
	}
	st, md := copyObject(state), copyObject(meta)
	if st == nil {
		st = map[string]any{}
	}
	if md == nil {
		md = map[string]any{}
	}
	mergeInto(st, md, s.Fields, stamp)
	if len(st) == 0 {
		return nil, nil
	}
	return st, md
}

// mergeInto merges patch into state (owned by the caller). If meta is not
// nil (also owned), it is kept in the same shape as state, with written
// leaves stamped with stamp.
func mergeInto(state, meta, patch map[string]any, stamp json.Number) {
	for k, pv := range patch {
		switch p := pv.(type) {
		case nil:
			delete(state, k)
			if meta != nil {
				delete(meta, k)
			}
		case map[string]any:
			child, ok := state[k].(map[string]any)
			if !ok { // absent, or a scalar or array replaced by an object
				child = map[string]any{}
				state[k] = child
			}
			var childMeta map[string]any
			if meta != nil {
				childMeta, ok = meta[k].(map[string]any)
				if !ok || len(child) == 0 { // new object, or metadata out of shape
					childMeta = map[string]any{}
					meta[k] = childMeta
				}
			}
			mergeInto(child, childMeta, p, stamp)
		default:
			state[k] = deepCopy(p)
			if meta != nil {
				meta[k] = metadataFor(p, stamp)
			}
		}
	}
}

// MetadataFor returns the metadata the service records for value v written at
// ts (Unix seconds): {"timestamp":ts} for a scalar or null, an object of the
// same members for an object, an array of per-element metadata for an array.
// Timestamps are json.Number so that documents built here equal documents
// parsed from the wire.
func MetadataFor(v any, ts int64) any { return metadataFor(v, timestampNumber(ts)) }

func metadataFor(v any, stamp json.Number) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = metadataFor(e, stamp)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = metadataFor(e, stamp)
		}
		return a
	}
	return map[string]any{keyTimestamp: stamp}
}

// acceptedMetadata is the metadata of update/accepted for the state sent.
func acceptedMetadata(upd UpdateState, ts int64) map[string]any {
	stamp := timestampNumber(ts)
	if upd.Null {
		return map[string]any{keyTimestamp: stamp}
	}
	m := map[string]any{}
	if v, ok := upd.Desired.jsonValue(); ok {
		m[keyDesired] = metadataFor(v, stamp)
	}
	if v, ok := upd.Reported.jsonValue(); ok {
		m[keyReported] = metadataFor(v, stamp)
	}
	return m
}

func timestampNumber(ts int64) json.Number { return json.Number(strconv.FormatInt(ts, 10)) }
