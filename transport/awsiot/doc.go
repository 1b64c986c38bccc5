// Package awsiot is tether's AWS IoT Core adapter.
//
// This part of the package holds the adapter's protocol codecs: pure
// functions with no I/O, safe for concurrent use, table-tested and fuzzed.
//
//   - PresignWebSocketURL signs the wss:// URL for MQTT over WebSocket with
//     AWS Signature Version 4 (service "iotdevicegateway"); the session token
//     is appended after signing, as AWS IoT Core requires.
//   - Topics translates tether's canonical, device-relative topics to AWS
//     topics ("events" → "{thing}/events") and back.
//   - The Validate functions check the message broker's limits (topic length
//     and depth, payload size, QoS, client ID, filters per SUBSCRIBE,
//     keepalive, thing name) before anything is sent, because AWS IoT Core
//     answers most violations by closing the connection without a reason.
//     They return *LimitError or errors wrapping the package's sentinels.
//   - CustomAuthorizer builds the MQTT username that selects a custom
//     authorizer.
//
// The connection constants name the ports (PortMQTT, PortHTTPS), the TLS
// ALPN protocols (ALPNX509, ALPNCustomAuthorizer) and the WebSocket path
// and subprotocol.
package awsiot
