// Package mqttxtest is an in-process MQTT 3.1.1 broker for tests, the way net/http/httptest serves
// HTTP: a real broker in miniature on loopback, built on paho's packets codec, with fault injection.
//
// It listens on 127.0.0.1 with OS-chosen ports over TCP, and on request TLS (server certificate issued at
// start by the broker's own CA, mutual TLS optional), WebSocket and WebSocket over TLS (subprotocol
// "mqtt", binary frames, packets split across frames or packed into one); DialPipe serves an in-memory
// connection.
//
// Protocol: CONNECT/CONNACK return codes; clean and persistent sessions (subscriptions and QoS 1/2
// messages kept while a persistent client is away, unacknowledged ones redelivered with DUP on its return,
// session-present flag); QoS 0, 1 and 2 (QoS 2 per WithQoS2); SUBSCRIBE with per-filter return codes;
// UNSUBSCRIBE; PINGREQ; DISCONNECT; retained messages; wildcards ("a/#" matches "a"; a filter starting
// with a wildcard matches no "$" topic); keepalive enforced at 1.5 times; wills published on any end but
// DISCONNECT; a second connection with a client id closes the first (publishing its will unless both
// connections are persistent, as mosquitto does). A message matching several of a client's
// subscriptions is delivered once, as mosquitto does, at the highest QoS granted (MQTT-3.3.5-1;
// mosquitto 2.0.11 uses the QoS of the first matching subscription its search finds instead, a bug).
//
// Hooks let the cloud emulators built on it authenticate CONNECTs (WithAuthenticator), authorize each
// PUBLISH and subscription filter (WithAuthorizer), consume requests (WithInterceptor) and answer one
// client (PublishTo). Fault injection closes connections now, after n packets or at seeded random
// points, withholds or delays acknowledgements, refuses CONNECTs, and duplicates deliveries. Restart
// takes the whole broker down (every connection closed, the ports refusing connections) for a while and
// brings it back on the same ports, keeping what a broker with persistence keeps. Received and Stats
// inspect what happened.
//
// Each connection has one reader goroutine and one writer goroutine (so concurrent deliveries never
// interleave bytes); hooks run on the reader goroutine of the client concerned and may call the Broker's
// methods. Close ends every goroutine before it returns.
package mqttxtest
