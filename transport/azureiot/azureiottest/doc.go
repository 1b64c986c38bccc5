// Package azureiottest is an emulated Azure IoT Hub for tests, the way
// net/http/httptest serves HTTP: an in-process MQTT broker (mqttxtest) on
// loopback with IoT Hub's rules, so device code runs against it offline in
// milliseconds.
//
//	h := azureiottest.New(t)
//	cfg := h.AddDevice("dev1") // a ready azureiot.Config pointing at the hub
//	conn, err := azureiot.New(cfg)
//
// What it emulates, as IoT Hub documents it:
//
//   - Listeners: MQTT over TLS (URL) and MQTT over WebSocket over TLS at
//     /$iothub/websocket (WebSocketURL), with a server certificate for
//     127.0.0.1 issued by the hub's own CA (CA).
//   - Authentication: the username must be
//     {host}/{deviceId}[/{moduleId}]/?api-version=... naming the hub's
//     host (else CONNACK 4, bad user name or password), the client id must
//     be {deviceId} or {deviceId}/{moduleId} as in the username (else
//     CONNACK 2, identifier rejected). A SAS token must be well formed (else
//     CONNACK 4), for the identity's resource, signed with its key and not
//     expired (else CONNACK 5, not authorized); X.509 identities must
//     present their certificate (else CONNACK 5). Unknown identities get
//     CONNACK 5.
//   - Token expiry: the hub closes a connection when its SAS token expires.
//   - Topics: a PUBLISH or SUBSCRIBE outside the identity's allowed topics
//     (azureiot.CanPublish, azureiot.CanSubscribe), a D2C message over
//     256 KiB, more than 5 subscriptions and a QoS 2 PUBLISH close the
//     connection without a reply; a QoS 2 SUBSCRIBE is granted QoS 1.
//   - Messages: D2C messages are consumed and recorded with their decoded
//     properties and canonical subtopic (D2C, WaitD2C), never routed to
//     other clients nor retained (RETAIN adds the mqtt-retain property);
//     SendC2D delivers cloud-to-device messages on
//     devices/{id}/messages/devicebound/{property bag}.
//   - Services: requests on $iothub/ topics go to the Service registered
//     for their prefix (Handle), which answers with Deliver. The twin
//     service is registered for TwinPrefix; direct methods plug in there
//     too.
//
// # Device twins
//
// Every device and module ("dev/mod") has a twin, empty at $version 1 on
// both sides until something changes it. The twin service answers, as IoT
// Hub does (PROTOCOLS.md §2):
//
//   - $iothub/twin/GET/?$rid={rid} with 200 and the twin,
//     {"desired":{...,"$version":N},"reported":{...,"$version":M}};
//   - $iothub/twin/PATCH/properties/reported/?$rid={rid} with 204 and the
//     new reported $version in the topic, or 400 with a JSON body when the
//     payload is not a JSON object, breaks the twin rules or would make the
//     reported properties larger than 32 KiB.
//
// Answers go to $iothub/twin/res/{status}/?$rid={rid} at QoS 0, and only
// if the client subscribed to $iothub/twin/res/#: otherwise they are lost.
// From the cloud side, UpdateDesired changes the desired properties and
// notifies the client on $iothub/twin/PATCH/properties/desired/?$version=N
// if it is connected and subscribed now; a client that is offline is not
// notified later (it must GET after reconnecting). Twin returns the twin
// as stored; FailTwinRequests answers the next requests with 429, 5xx or
// another status, or not at all. Handling TwinPrefix with another Service
// replaces the twin service for requests (UpdateDesired and Twin keep
// using the built-in one).
//
// The broker's fault injection (drop connections, withhold acks, refuse
// CONNECTs, ...) is reachable through Broker.
package azureiottest
