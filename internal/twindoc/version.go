package twindoc

import "strconv"

// PatchAction is what to do with a desired-properties patch, given the desired
// $version already applied.
type PatchAction int

// Patch actions.
const (
	// PatchApply: the patch is the next version; Merge it into the cached
	// desired properties and make its $version the applied one.
	PatchApply PatchAction = iota + 1
	// PatchIgnore: the patch's $version is at or below the applied one; the
	// full twin already contained it (or it is a duplicate). Drop it.
	PatchIgnore
	// PatchResync: the patch skips versions, so a notification was missed.
	// Do not apply it on stale state: GET the full twin again.
	PatchResync
)

// String returns the action's name.
func (a PatchAction) String() string {
	switch a {
	case PatchApply:
		return "apply"
	case PatchIgnore:
		return "ignore"
	case PatchResync:
		return "resync"
	}
	return "PatchAction(" + strconv.Itoa(int(a)) + ")"
}

// DecideDesired applies IoT Hub's documented version rule to a desired patch
// with version patchVersion when desired.$version applied has been applied
// (from the last GET and the patches applied since): at or below → ignore,
// applied+1 → apply, above applied+1 → resync.
//
// The hub guarantees that versions only increase; desired patches sent while
// the device was offline are lost, so GET after every (re)connect and buffer
// patches that arrive before the GET's answer, deciding on each afterwards.
func DecideDesired(applied, patchVersion int64) PatchAction {
	switch {
	case patchVersion <= applied:
		return PatchIgnore
	case patchVersion == applied+1: // patchVersion > applied, so applied+1 cannot overflow
		return PatchApply
	}
	return PatchResync
}
