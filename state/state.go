// Package state is the cloud-neutral view of a device's state: what the
// device reports, what the cloud wants (desired), and the desired changes
// as they arrive, each with a version that only grows.
//
// shadow.Client (AWS Device Shadow) and twin.Client (Azure device twin)
// both implement Syncer, so firmware such as a thermostat runs unchanged
// on either cloud. Cloud-specific power (named shadows, metadata,
// optimistic locking, twin tags) stays in those packages.
package state

import "context"

// Desired is the desired state the cloud holds, at a version.
type Desired struct {
	// Version grows with every change of the desired state: the shadow's
	// document version on AWS, the desired properties' $version on Azure.
	Version int64
	// State is the whole desired state, without cloud metadata.
	State map[string]any
	// Changed holds only what changed: on AWS the delta (desired leaves
	// that differ from reported), on Azure the desired patch (a key set
	// to nil was removed).
	Changed map[string]any
}

// Syncer keeps a device's state in sync with one cloud.
type Syncer interface {
	// Report merges reported into the device's reported state: objects
	// merge, a key set to nil is removed.
	Report(ctx context.Context, reported map[string]any) error
	// Desired returns the cloud's current desired state.
	Desired(ctx context.Context) (Desired, error)
	// OnDesired sets the function called with every desired change, in
	// version order, including the changes made while the device was
	// offline (delivered after each reconnect). It runs on one goroutine
	// at a time; a nil fn stops the calls.
	OnDesired(fn func(ctx context.Context, d Desired))
}
