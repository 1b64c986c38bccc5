// Package awsiot is tether's AWS IoT Core adapter.
//
// New turns a Config into a *transport.Conn connected to the account's
// device data endpoint as one thing:
//
//	conn, err := awsiot.New(awsiot.Config{
//		Endpoint:  "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com",
//		ThingName: "gateway-7",
//		CertFile:  "/etc/gateway/cert.pem", // read again on every connection attempt
//		KeyFile:   "/etc/gateway/key.pem",
//	})
//
// It authenticates with an X.509 certificate (mutual TLS on port 8883, or
// 443 with ALPN "x-amzn-mqtt-ca"), with SigV4 over WebSocket (wss on 443,
// the URL presigned again before every attempt with fresh credentials) or
// with a custom authorizer (443, ALPN "mqtt"); see AuthMethod. Canonical
// topics are prefixed with the thing name ("events" → "{thing}/events").
// Everything AWS IoT Core would answer by closing the connection (payload
// over 128 KiB, QoS 2, topics over 256 bytes or 7 slashes, more than 50
// subscriptions) is refused before it is sent, with errors matching both
// this package's sentinels and the transport package's; subscriptions are
// sent at most 8 per SUBSCRIBE; publishes are paced under AWS's rate
// limits. MQTT 3.1.1 cannot carry message properties: see
// PropertiesPolicy. A connection that keeps being knocked off right after
// connecting (two devices with one client ID) is reported through
// Config.OnConnectionLoop and the log.
//
// Package awsiottest is an in-process AWS IoT Core emulator to test
// against.
//
// The rest of the package is the adapter's protocol codecs: pure
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
//   - VerifyWebSocketQuery checks a presigned URL the way the server does,
//     for emulators and tests.
//
// The connection constants name the ports (PortMQTT, PortHTTPS), the TLS
// ALPN protocols (ALPNX509, ALPNCustomAuthorizer) and the WebSocket path
// and subprotocol.
package awsiot
