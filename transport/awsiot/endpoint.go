package awsiot

import "time"

// Ports of the AWS IoT Core data endpoint.
const (
	// PortMQTT is MQTT over TLS with an X.509 client certificate (mutual TLS;
	// the server requires SNI).
	PortMQTT = 8883
	// PortHTTPS carries MQTT with an X.509 client certificate (ALPN
	// ALPNX509), MQTT with a custom authorizer (ALPN ALPNCustomAuthorizer)
	// and MQTT over WebSocket with SigV4 (WebSocketPath).
	PortHTTPS = 443
)

// TLS ALPN protocol names that select MQTT on PortHTTPS.
const (
	// ALPNX509 selects MQTT with an X.509 client certificate on port 443.
	ALPNX509 = "x-amzn-mqtt-ca"
	// ALPNCustomAuthorizer selects MQTT with a custom authorizer on port
	// 443 (see CustomAuthorizer).
	ALPNCustomAuthorizer = "mqtt"
)

// MQTT over WebSocket.
const (
	// WebSocketPath is the request path of the WebSocket upgrade.
	WebSocketPath = "/mqtt"
	// WebSocketSubprotocol is the Sec-WebSocket-Protocol the client offers.
	WebSocketSubprotocol = "mqtt"
	// SigningService is the SigV4 service name of the AWS IoT data plane's
	// MQTT endpoint.
	SigningService = "iotdevicegateway"
	// MaxWebSocketLifetime is how long AWS IoT Core keeps a SigV4
	// WebSocket connection open; the client must reconnect (with a freshly
	// presigned URL) after it.
	MaxWebSocketLifetime = 24 * time.Hour
)
