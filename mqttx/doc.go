// Package mqttx is tether's MQTT 3.1.1 client layer over paho.mqtt.golang; nothing else in tether
// imports paho.
//
// What it adds to paho:
//   - Every call that waits takes a ctx.
//   - Handlers never run on the network goroutines: each subscription has a bounded queue and one
//     worker goroutine, running while messages are pending, that runs its Handler in order, so a
//     handler may Publish at QoS 1 and wait for the PUBACK. A full queue drops the message and
//     reports EventSlowConsumer instead of stalling the connection (and its keepalives). A handler
//     about to work long, once order no longer matters, can Detach: the next messages go to a new
//     worker while it keeps its goroutine.
//   - The reconnect loop is mqttx's own: full-jitter exponential backoff (DefaultMinBackoff,
//     DefaultMaxBackoff, reset after DefaultBackoffResetAfter connected), fresh Credentials on every
//     attempt, CONNACK refusals as typed errors (*ConnectError), connection state as Events. Its
//     goroutine runs only while connecting: a connected client holds no goroutine of its own (a
//     gateway connects one client per leaf device), and a lost connection starts it again.
//   - A subscription registry, re-sent on every (re)connect in batches of MaxFiltersPerSubscribe
//     filters, with every SUBACK code checked (paho reports a refused filter as success).
//   - Dialing for tcp, tls, ws and wss URLs with a per-attempt ctx, or a custom Dial hook.
//   - Pure topic validation and matching (ValidateTopicName, ValidateTopicFilter, MatchTopic).
//
// The protocol level is pinned to MQTT 3.1.1 (paho otherwise falls back to 3.1 silently).
package mqttx
