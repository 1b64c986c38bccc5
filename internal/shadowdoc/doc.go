// Package shadowdoc is the pure (sans-I/O) AWS IoT Device Shadow protocol:
// document types, parsing of every message the device receives and of the
// update request the service receives, the service's merge, metadata and
// delta rules, its validation limits, the version rules a device follows, and
// the shadow topics.
//
// It is shared by the device-side shadow client and the AWS emulator's shadow
// service, so it follows the service's behaviour exactly where AWS documents
// it, and says which source it follows where AWS does not.
//
// # Representation
//
// State, metadata and delta are map[string]any trees whose values are nil,
// bool, string, json.Number, []any or map[string]any. Everything is decoded
// with json.Decoder.UseNumber: a number keeps its exact literal through
// parse, merge and encode (an int64 counter or 0.1 never passes through
// float64). Trees rather than json.RawMessage because merge, delta, metadata
// and the limits all walk the tree; raw bytes would be decoded again for each.
// Values built in Go may also hold other integer and float types; Equal
// compares numbers of any type by exact decimal value.
//
// An update's desired and reported are Sections, so that absent, null
// ("clear the section") and an object patch stay distinct; UpdateState.Null
// is "state": null (clear everything).
//
// # Service behaviour implemented
//
//   - Merge: objects merge recursively, a member set to null is deleted,
//     arrays and scalars replace whole, nested objects emptied by deletions
//     stay as {}, a section left empty is removed, "desired": null deletes
//     desired, "state": null deletes both (Merge, ApplyState).
//   - Metadata: same shape as the state written, {"timestamp":T} per scalar,
//     per-element metadata for arrays (MetadataFor). update/accepted echoes
//     the request state and carries metadata for exactly what was sent, nulls
//     included.
//   - Delta: desired members that differ from reported, with their full path;
//     arrays compared whole; numbers compared by value (1 equals 1.0, as in
//     AWS's Greengrass implementation), 1 differs from "1" (ComputeDelta,
//     DeltaMetadata).
//   - Limits: desired+reported ≤ MaxStateSize bytes as compact JSON (413),
//     depth ≤ DefaultMaxDepth under each section (configurable), clientToken
//     ≤ MaxClientTokenLen bytes, no null array elements (400).
//   - Versions: a conditional update must name the current version (409);
//     each accepted update increments it (ApplyUpdate). The device side uses
//     Versions to ignore stale messages and to detect missed ones.
//
// Sources: AWS IoT developer guide (device-shadow-document, -mqtt,
// -data-flow, -error-messages); AWS-verified tests in moto's iotdata
// (empty objects kept, delta copies members absent from reported whole,
// "state": null accepted with metadata {"timestamp":T}); AWS's Greengrass
// ShadowManager (depth counting, number comparison, per-element array
// metadata, size counted as desired+reported compact JSON).
//
// # Using it
//
// Device: build topics with Topic.Build, send an UpdateRequest after
// ValidateRequest (and CheckStateSize on the expected document), parse what
// arrives with ParseGetAccepted, ParseUpdateAccepted, ParseDelta,
// ParseDocuments, ParseDeleteAccepted or ParseRejected, decide with Versions,
// and keep a local Document current with ApplyState.
//
// Emulator: ParseTopic, ParseUpdateRequest, ApplyUpdate (which returns the
// stored document and the update/accepted, update/delta and update/documents
// messages), and (*Error).Response for */rejected.
//
// Everything here is a pure function or a plain value: safe for concurrent
// use; no input is modified.
package shadowdoc
