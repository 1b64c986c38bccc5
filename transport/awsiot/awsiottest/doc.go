// Package awsiottest is an in-process AWS IoT Core emulator for tests, the
// way net/http/httptest serves HTTP: a real TLS endpoint on loopback that
// behaves as AWS IoT Core documents, so firmware built on tether (or any
// MQTT 3.1.1 client) can be tested offline, in milliseconds.
//
//	e := awsiottest.New(t)                        // closed when the test ends
//	conn, err := awsiot.New(e.DeviceConfig("thing1"))
//	...
//	e.Received("thing1")                          // what the device published
//	e.Publish("thing1/request/sensor/list", p, 1) // the cloud publishes
//
// One listener serves every method of AWS's port 443, told apart by ALPN:
// MQTT with a client certificate (ALPN "x-amzn-mqtt-ca", or no ALPN as on
// port 8883), MQTT with a custom authorizer (ALPN "mqtt",
// WithCustomAuthorizer) and MQTT over WebSocket at /mqtt with a SigV4
// presigned URL, checked against the emulator's own test credentials
// (Credentials, Region). Device certificates are issued on the fly by the
// emulator's CA (IssueCertificate, WriteCertificateFiles); a certificate
// from another CA fails the TLS handshake.
//
// A gateway in front of an mqttxtest broker applies AWS's rules, the way
// AWS's device gateway fronts its message broker: client IDs (at most 128
// bytes, no leading "$", else CONNACK 2), and closing the connection
// without a reason on a payload over 128 KiB, a QoS 2 publish or will, a
// topic over 256 bytes or 7 slashes, more than 8 filters in one
// SUBSCRIBE or more than 50 subscriptions. Each such decision is recorded
// as a Violation. Deliveries follow AWS's matching: "a/#" does not match
// "a", and wildcard subscriptions receive no retained messages. A second
// connection with a client ID closes the older one. The broker's fault
// injection (drop connections, withhold acknowledgements, refuse CONNECTs)
// is reachable through Broker.
//
// Connections records how each device connected (method, ALPN,
// certificate, username, keepalive, the filters of each SUBSCRIBE).
//
// # Device Shadow
//
// Every emulator runs the Device Shadow service (PROTOCOLS.md §1): a
// device's publishes on $aws/things/{thing}/shadow/{get,update,delete} and
// on the same topics under shadow/name/{shadow} are consumed by the service
// (Received still lists them) and answered as AWS answers: get/accepted or
// get/rejected, update/accepted, update/delta and update/documents or
// update/rejected, delete/accepted or delete/rejected. AWS publishes these
// to the topic, not to the requester: every client subscribed to it gets
// them, at the QoS of its subscription (at most 1), if it is connected at
// that moment; nothing is queued for a client that is away, persistent
// session or not, so a delta published while a device is offline is
// never redelivered (the device must get the shadow after reconnecting).
// Authorization is permissive: any device may use any thing's shadows, as
// under a policy allowing $aws/things/*/shadow/*.
//
// The cloud side is driven by SetDesired (the console or an application
// changing desired state), DeleteShadow and ShadowDocument;
// HoldShadowRequests and ReleaseShadowRequests keep a thing's requests in
// flight so that the service's 429 (more than 10 in flight) can be
// tested. An interceptor passed with WithBrokerOptions replaces the shadow
// service.
package awsiottest
