package azureiottest

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/twinsvc"
)

// TwinPrefix is the topic prefix of the device twin requests the hub's
// twin service handles (Handle it to replace the service).
const TwinPrefix = "$iothub/twin/"

// twinQoS is the QoS of the twin service's messages: IoT Hub sends twin
// responses and desired-property notifications at most once (QoS 0), so a
// notification for a device that is not connected is lost, never queued.
const twinQoS byte = 0

// ErrInvalidTwinPatch is returned by UpdateDesired for a patch the hub
// would refuse: nil, not JSON, breaking the twin rules (keys, depth,
// string and integer limits) or making the desired properties larger than
// 32 KiB. The error also matches the broken rule's sentinel of package twin
// (twin.ErrInvalidKey, twin.ErrTooDeep, ...).
var ErrInvalidTwinPatch = errors.New("azureiottest: invalid desired patch")

// TwinProperties is one side of a twin as the hub stores it.
type TwinProperties struct {
	// Values are the properties without $version and $metadata. Numbers
	// are json.Number, as the device decodes them.
	Values map[string]any
	// Version is $version: 1 for a new twin, incremented by every change.
	Version int64
}

// Twin is the twin of a device or module as the hub stores it.
type Twin struct {
	Desired  TwinProperties
	Reported TwinProperties
}

// serveTwin is the hub's twin service: it answers a device's or module's
// GET and reported patches from its twin, on $iothub/twin/res/ if the
// client subscribed there (else the answer is lost, as on the hub).
func (h *Hub) serveTwin(r Request) {
	for _, p := range h.twins.HandlePublish(r.ClientID, r.Topic, r.Payload) {
		if err := h.Deliver(r.ClientID, p.Topic, p.Payload, twinQoS); err != nil {
			h.log.Debug("azureiottest: twin response not delivered", "client", r.ClientID, "topic", p.Topic, "err", err)
		}
	}
}

// UpdateDesired changes the desired properties of a device ("dev") or
// module ("dev/mod") from the cloud side, as the service API does: patch is
// merged as a JSON merge patch (objects merge, a nil value deletes the key)
// and may hold any values encoding/json marshals. It returns the new desired
// $version.
//
// The hub notifies the client on
// $iothub/twin/PATCH/properties/desired/?$version={version} only if it is
// connected and subscribed to that topic now; a client that is offline gets
// nothing and must read the twin after it reconnects, as on IoT Hub.
//
// The error matches ErrUnknownDevice for an identity that was not added,
// ErrInvalidTwinPatch for a patch the hub would refuse (nothing changes),
// or ErrClosed.
func (h *Hub) UpdateDesired(clientID string, patch map[string]any) (version int64, err error) {
	if err := h.knownIdentity(clientID); err != nil {
		return 0, err
	}
	// Serialized, so that notifications leave in version order.
	h.twinMu.Lock()
	defer h.twinMu.Unlock()
	version, pubs, err := h.twins.UpdateDesired(clientID, patch)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidTwinPatch, cause(err))
	}
	for _, p := range pubs {
		if err := h.Deliver(clientID, p.Topic, p.Payload, twinQoS); err != nil {
			h.log.Debug("azureiottest: desired patch not delivered", "client", clientID, "version", version, "err", err)
		}
	}
	return version, nil
}

// Twin returns a copy of the twin of a device ("dev") or module ("dev/mod")
// as the hub stores it, and false for an identity that was not added. A
// twin nothing has changed yet is empty, at version 1 on both sides. It
// works after Close too.
func (h *Hub) Twin(clientID string) (Twin, bool) {
	h.mu.Lock()
	known := h.identities[clientID] != nil
	h.mu.Unlock()
	if !known {
		return Twin{}, false
	}
	tw, ok := h.twins.Twin(clientID)
	if !ok {
		return Twin{
			Desired:  TwinProperties{Values: map[string]any{}, Version: twinsvc.InitialVersion},
			Reported: TwinProperties{Values: map[string]any{}, Version: twinsvc.InitialVersion},
		}, true
	}
	return Twin{
		Desired:  TwinProperties{Values: tw.Desired.Values, Version: tw.Desired.Version},
		Reported: TwinProperties{Values: tw.Reported.Values, Version: tw.Reported.Version},
	}, true
}

// FailTwinRequests makes the hub answer the next n twin requests (GET or
// reported patch) of a device ("dev") or module ("dev/mod") with status
// instead of serving them: 429 (http.StatusTooManyRequests, throttled),
// 5xx, 400 or any other failure status. Status 0 means no answer at all, as if the response were lost.
// Calls queue up: each applies once the previous one is used up. n < 1
// does nothing.
func (h *Hub) FailTwinRequests(clientID string, status, n int) {
	h.twins.FailNext(clientID, status, n)
}

// knownIdentity returns ErrUnknownDevice unless clientID was added, or
// ErrClosed.
func (h *Hub) knownIdentity(clientID string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if h.identities[clientID] == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDevice, clientID)
	}
	return nil
}

// cause strips twinsvc.ErrInvalidPatch from one of its errors, keeping
// the broken rule.
func cause(err error) error {
	multi, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var rest []error
	for _, e := range multi.Unwrap() {
		if e != twinsvc.ErrInvalidPatch {
			rest = append(rest, e)
		}
	}
	if len(rest) == 1 {
		return rest[0]
	}
	return err
}
