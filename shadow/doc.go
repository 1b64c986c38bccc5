// Package shadow is the device side of the AWS IoT Device Shadow service,
// over any transport.Transport connected to AWS IoT Core.
//
// A Client follows one shadow, the thing's classic shadow or a named one
// (WithName), and offers:
//
//   - requests: Get, Update (desired and/or reported from structs or maps,
//     optionally conditional on a version), UpdateReported, UpdateDesired,
//     Delete, and Modify, a read-modify-write that retries on version
//     conflicts;
//   - events: a delta handler (OnDelta, WithDeltaHandler) called in version
//     order on the client's own goroutine, and an optional documents handler
//     (WithDocumentsHandler);
//   - state: Document, the last document applied;
//   - the cloud-neutral state.Syncer (Report, Desired, OnDesired), so that
//     firmware runs unchanged on Azure device twins.
//
// # Behaviour
//
// Requests carry a random clientToken that correlates their response; at
// most DefaultMaxInFlight (AWS's limit of 10) are in flight, further ones
// wait for a slot up to their ctx. The client checks what the service would
// reject before sending (depth, null in arrays, 8 KiB of state, the
// clientToken) and returns a local *Error, sending nothing. Every refusal is
// an *Error with the service's code; errors.Is matches ErrNotFound,
// ErrVersionConflict, ErrTooLarge, ErrTooManyRequests, ErrBadRequest.
//
// AWS does not redeliver deltas published while a device was offline, so
// the client GETs the shadow when it starts and after every reconnect, and
// hands the delta handler the delta of a document newer than what it had.
// Responses may arrive late, twice or out of order: the client applies a
// message only if it is newer than the version it holds, and a gap in versions (a missed update) makes it
// GET again. The client also applies the updates other writers make
// (update/accepted and update/delta are published to every subscriber).
//
// Close stops every goroutine the client started.
package shadow
