package shadowdoc

// Decision is what a device does with an incoming shadow message, given the
// versions it has already applied.
type Decision int

const (
	// Ignore: the message is older than (or a duplicate of) what was applied.
	Ignore Decision = iota
	// Apply: the message is the next one; apply it, then record its version.
	Apply
	// Resync: versions were skipped, so state was missed; do not apply the
	// message, send a get and apply the get/accepted instead.
	Resync
)

// String returns "ignore", "apply" or "resync".
func (d Decision) String() string {
	switch d {
	case Ignore:
		return "ignore"
	case Apply:
		return "apply"
	case Resync:
		return "resync"
	}
	return "Decision(?)"
}

// Versions is what a device has applied from a shadow; the zero value means
// nothing yet (a new shadow's first update has version 1). Responses can
// arrive out of order and across topics, so the device keeps two marks:
//
//   - State is the version of the last document state it applied (from
//     get/accepted, update/accepted or update/documents);
//   - Delta is the version of the last delta it delivered to the
//     application (from update/delta or the delta of a get/accepted).
//
// Two marks are needed because update/delta carries the same version as the
// update/accepted that caused it, and either can arrive first: after
// applying update/accepted version 7 (State 7), the delta of version 7 must
// still be delivered once (Delta < 7), and a delta of version 7 that arrives
// first must not make that update/accepted look like a duplicate.
//
// The methods only decide; after acting on an Apply the caller records the
// version (State = v or Delta = v). Versions is a plain value: copy it freely.
type Versions struct {
	State int64
	Delta int64
}

// CheckDocument decides for a full document of version v (get/accepted, the
// "current" of update/documents, or delete/accepted): Apply if it is newer
// than the applied state, else Ignore. A full document never needs a resync.
// To deliver the delta of a get/accepted, use CheckDelta after applying it.
func (vs Versions) CheckDocument(v int64) Decision {
	if v > vs.State {
		return Apply
	}
	return Ignore
}

// CheckUpdate decides for update/accepted of version v, which carries only
// the change: Ignore if v ≤ State (already applied, or older), Apply if
// v = State+1, Resync if v > State+1 (an update was missed: the patch cannot
// be applied on the state the device has).
func (vs Versions) CheckUpdate(v int64) Decision {
	switch {
	case v <= vs.State:
		return Ignore
	case v == vs.State+1:
		return Apply
	}
	return Resync
}

// CheckDelta decides for a delta of version v (update/delta, or the delta of
// a get/accepted just applied):
//
//   - Ignore if v ≤ Delta: already delivered;
//   - Ignore if v < State: the state moved on after this delta (a newer
//     update follows, with its own delta if one remains), so acting on it
//     could revert the device to an outdated desired value;
//   - Apply if v = State: the delta of the update just applied;
//   - Apply if v = State+1: the delta overtook its update/accepted, which
//     CheckUpdate will still Apply when it arrives;
//   - Resync if v > State+1: updates were missed; the get/accepted carries
//     the current delta, deliver that one.
func (vs Versions) CheckDelta(v int64) Decision {
	switch {
	case v <= vs.Delta || v < vs.State:
		return Ignore
	case v <= vs.State+1:
		return Apply
	}
	return Resync
}
