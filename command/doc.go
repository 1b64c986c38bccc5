// Package command serves commands sent by an application to a device: the
// application sends a method name, a JSON payload and a transaction id (TID);
// the device acts and answers with a status, a JSON payload and the same TID.
//
// It is shaped like net/http: a [Handler] (or [HandlerFunc]) answers a
// [Request] with a [Response]; a [Router] dispatches by exact method name.
// A [Server] wraps a handler with the semantics commands need whatever the
// cloud (see [Server.Serve] for the order they apply in):
//
//   - At-most-once effects. Duplicates are expected: MQTT QoS 1 redelivers,
//     applications retry. The Server remembers completed transactions by
//     (Sender, TID), up to [DefaultDedupSize] of them for [DefaultDedupTTL],
//     and answers a duplicate with the remembered response without running
//     the handler again; a duplicate of a command still running waits for its
//     result. With [WithDedupStore] (for example a [FileStore]) the memory
//     survives a reboot.
//   - Ordering. With [WithOrdering], a command whose Seq is not newer than the
//     last admitted from its Sender is stale: 409 with the device's state.
//   - Bounded work. At most [DefaultMaxConcurrent] handlers run at once; more
//     are answered 503 at once. Each handler's ctx ends at the command's
//     deadline ([DefaultTimeout] if it has none); the caller then gets 504.
//   - No silent failure. Every failure is answered with a status and
//     {"error": "..."}: 400 malformed, 404 unknown method, 409 stale or TID
//     reused, 500 handler panic (the stack goes to the log, not the caller),
//     503 busy, 504 deadline. [StatusOf] maps the package's errors to them.
//
// # Devices and applications
//
// A [Device] serves a handler over a transport.Transport (NewDevice): Azure
// IoT Hub direct methods on Azure, request envelopes on the canonical or the
// cmd scheme on AWS IoT Core and plain brokers, and group requests with
// [WithGroups]. Every request it can correlate is answered, failures
// included; see [Device] for the topics, QoS and what happens to a response
// the cloud would refuse as too large (a 500 saying so). Responses are
// published at once, bypassing the transport's outbox (transport.Conn's
// SendDirect): a lost response is recovered by the application's retry,
// which the deduplication cache answers, never by a replay after a
// reconnect.
//
// An [Invoker] is the other end, for AWS applications on MQTT, fleet tools
// and tests: [Invoker.Invoke] publishes a request, retries it with the same
// TID after a per-attempt timeout (the device's deduplication makes that
// safe) and returns the answer, a *[StatusError] for a failure status or a
// *[TimeoutError] for silence; [Invoker.InvokeGroup] sends one request to a
// group and reports which expected devices did not answer. It needs only
// publish and subscribe on raw topics ([PubSub]), which a transport.Transport
// has; it subscribes once to all responses ([Scheme.ResponseFilter]) rather
// than once per device, because AWS IoT Core allows 50 subscriptions per
// connection.
//
// # Envelopes
//
// MQTT 3.1.1 has no correlation property, so on AWS IoT Core the TID travels
// in a JSON envelope. A request:
//
//	{"tid":"7f3a","method":"sensor.list","seq":42,"sender":"app-1","timeoutMs":5000,"payload":{"bus":1}}
//
// "tid" (1 to [MaxIDLength] bytes) is required. "method" is required on the
// cmd/{device}/req scheme and optional on the canonical one, where the topic
// names it. "seq" (a positive integer), "sender", "payload" (any JSON) are
// optional. The deadline is "timeoutMs" from receipt, preferred because
// devices often boot without a real-time clock, or else "deadline", an
// RFC 3339 time. Unknown members are ignored. A response:
//
//	{"tid":"7f3a","status":200,"payload":{"sensors":[]}}
//
// with "payload" omitted when empty. See [DecodeRequest], [EncodeResponse].
//
// An Azure IoT Hub direct method correlates by the topic's $rid, and its
// status travels in the response topic. Its body may still be a request
// envelope, recognised as a JSON object with a string "tid" and only envelope
// members, which then supplies the TID, Seq and Sender; any other body is the
// bare payload, served without deduplication. See [DecodeMethodPayload].
//
// # Topics
//
// [Scheme] translates AWS topics: the canonical scheme maps method "a.b" to
// "{device}/request/a/b" and "{device}/response/a/b"; [SchemeCmd] uses
// "cmd/{device}/req" and "cmd/{device}/resp". Through a transport, a device
// sees the canonical ones device-relative: [ParseCanonicalRequestTopic] and
// [CanonicalResponseTopic]. Group requests travel on
// "group/{group}/request/a/b" ([GroupRequestTopic]). [ParseAzureMethodTopic]
// and [AzureMethodResponseTopic] handle
// "$iothub/methods/POST/{method}/?$rid={rid}" and
// "$iothub/methods/res/{status}/?$rid={rid}". Every codec in the package is a
// pure function.
package command
