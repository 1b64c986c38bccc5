// Package shadowsvc is the AWS IoT Device Shadow service as a sans-I/O state
// machine: it stores shadow documents (classic and named) and answers the
// requests devices publish under $aws/things/{thing}/shadow/ with the messages
// the service publishes, using the rules of internal/shadowdoc.
//
// It does no networking. The AWS emulator feeds it every publish it receives
// (HandlePublish) and sends the returned publishes to their subscribers; the
// device-side shadow client's tests route a fake transport through it the same
// way. Test controls act as the cloud side (AWS console, apps using the HTTP
// API): SetDesired, Update, Delete and Document, plus Hold and Release, which
// keep a thing's requests in flight so that the 429 limit can be exercised.
//
// Behaviour, as AWS documents it (PROTOCOLS.md §1 "Device Shadow"):
//
//   - get: get/accepted with the full document (delta included when desired
//     differs from reported) and the request's clientToken; 404 when the
//     shadow does not exist or was deleted.
//   - update: 400 for bad JSON, a missing or malformed state, an invalid
//     version or clientToken, too deep a document or a null in an array; 409
//     when "version" is not the current version; 413 when desired+reported
//     would exceed 8 KiB; 415 for a payload that is not UTF-8. Accepted: the
//     version increments, and update/accepted, update/delta (when a delta
//     remains; same version as the accepted) and update/documents
//     (previous/current) are published, in that order.
//   - delete: delete/accepted with the deleted shadow's version; the version
//     is kept, so the next update continues from it; 404 when there is no
//     shadow.
//   - 429 "Too Many Requests" when a thing already has MaxInFlight requests
//     in flight (only possible while Hold keeps them in flight: the service
//     itself answers synchronously).
//
// Timestamps come from Options.Now, in Unix seconds. A Service is safe for
// concurrent use.
package shadowsvc
