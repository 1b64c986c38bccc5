package twin

import "github.com/tether-iot/tether/internal/twindoc"

// Properties is one side of a twin. Values hold what encoding/json decodes,
// except that numbers are json.Number, so integers up to the hub's 2^52-1
// and versions keep their exact value.
type Properties struct {
	// Values are the properties, without the service's $version and
	// $metadata.
	Values map[string]any
	// Version is $version, incremented by the hub on every change.
	Version int64
	// Metadata is $metadata when the hub sends it (it does not over MQTT
	// today), nil otherwise.
	Metadata map[string]any
}

// Twin is a device twin as the device reads it.
type Twin struct {
	Desired  Properties
	Reported Properties
}

func fromDoc(p twindoc.Properties) Properties {
	return Properties{
		Values:   twindoc.Clone(p.Values),
		Version:  p.Version,
		Metadata: twindoc.Clone(p.Metadata),
	}
}

// DesiredPatch is a change of the desired properties, handed to the
// application in version order.
type DesiredPatch struct {
	// Version is the desired $version once the patch is applied.
	Version int64
	// Patch is what changed, as a JSON merge patch: a key set to nil was
	// deleted, a nested object holds only what changed below it.
	Patch map[string]any
	// Desired is the whole desired state once the patch is applied.
	Desired map[string]any
	// Resynced is false for a patch the hub sent, and true for one the
	// Client computed by comparing the desired properties of a full twin
	// (GET) with those applied before: the initial state (compared with
	// nothing), the changes made while the device was offline, or the ones
	// whose notification was lost.
	Resynced bool
}
