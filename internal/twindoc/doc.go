// Package twindoc is the pure (sans-I/O) Azure IoT Hub device twin protocol:
// topic codec, document parsing and encoding, JSON merge patch, the hub's
// validation rules, an opt-in key mapping for AWS-style property names, the
// desired-version rules, and twin response statuses.
//
// It is shared by the device-side twin client and the Azure emulator's twin
// service, so every function works in both directions where the protocol has
// two sides: the device builds GET and reported-PATCH topics and parses
// responses and desired patches; the emulator parses the requests and builds
// the responses and desired patches.
//
// # Documents
//
// Decoded documents are map[string]any trees whose values are nil, bool,
// string, json.Number, []any or map[string]any. Numbers are decoded with
// json.Decoder.UseNumber, so every number keeps its exact literal: an int64
// version or a 2^52-1 integer survives a decode, merge and encode round trip
// unchanged, which float64 would not guarantee. json.Number (rather than
// json.RawMessage) keeps the tree walkable for merge and validation.
//
// # Order of operations (documented by IoT Hub)
//
//  1. Subscribe to $iothub/twin/res/# and $iothub/twin/PATCH/properties/desired/#.
//  2. GET the full twin; apply its desired properties; remember desired.$version.
//  3. For every desired patch, call DecideDesired with the applied version:
//     PatchIgnore when its $version is at or below it (already contained in the
//     GET, or a duplicate), PatchApply when it is exactly one above, PatchResync
//     when it skips versions (a notification was missed: GET again).
//
// Desired patches published while the device is offline are not redelivered:
// repeat from step 2 after every reconnect.
//
// # Limits (checked by Validate)
//
// Keys: at most MaxKeyBytes UTF-8 bytes, no Unicode control characters (C0,
// DEL, C1), no '.', '$' or space. String values: at most MaxStringBytes UTF-8
// bytes. Integers: MinSafeInteger..MaxSafeInteger (asymmetric: -2^52 to
// 2^52-1). No null inside arrays (IoT Edge's copy of the hub's rules rejects
// it). Nesting: at most MaxDepth levels of objects or arrays below the
// properties root. Size: Size (the hub's documented accounting, not the JSON
// byte count) at most MaxPropertiesSize.
package twindoc
