// Package twin is the device side of the Azure IoT Hub device twin: read
// the twin, report properties, and react to desired properties, over any
// transport.Transport (normally azureiot's).
//
//	c, err := twin.New(conn, twin.WithDesiredHandler(func(ctx context.Context, p twin.DesiredPatch) {
//		apply(p.Patch) // or p.Desired, the whole state
//	}))
//	...
//	version, err := c.UpdateReported(ctx, map[string]any{"firmware": "1.4.2"})
//
// # Keeping the desired properties in sync
//
// The Client follows the order of operations IoT Hub documents: subscribe
// to desired patches, GET the full twin, apply its desired properties, then
// apply each patch whose $version is the next one and ignore those at or
// below the applied version. A patch that arrives before the GET's answer is
// kept and decided on once the answer is applied, so it is neither lost nor
// applied twice.
//
// The hub does not redeliver patches sent while the device was offline.
// After every reconnect the Client reads the twin again and hands the
// application what changed meanwhile: the difference between the desired
// properties it had applied and the new ones, as a merge patch in which a
// deleted key is nil (DesiredPatch.Resynced is true). A patch that skips a
// version, meaning a notification was lost, triggers the same GET.
//
// # Requests
//
// Every GET and reported patch carries a unique $rid that correlates it with
// its response, so concurrent requests are safe. A request is retried with
// jittered exponential backoff when the hub answers 429 or 5xx, when its
// response does not arrive within the request timeout, or when the
// connection drops first (the retry goes as soon as the connection is
// back), until the caller's ctx ends; 400 and other failures are returned
// at once. A failure status is an *Error (errors.As), matching ErrThrottled
// or ErrBadRequest (errors.Is).
//
// Reported patches are checked before sending against the hub's rules
// (keys, depth ≤ 10, strings ≤ 4 KiB, integers within ±2^52, 32 KiB in
// total): a patch that breaks one fails with ErrInvalidPatch and the rule's
// sentinel, and nothing is sent. WithKeyMapping renames keys first, for
// firmware that uses AWS-style names with spaces.
//
// # Cloud-neutral code
//
// Client implements state.Syncer (Report, Desired, OnDesired), so firmware
// written against that interface runs unchanged on AWS (shadow.Client).
package twin
