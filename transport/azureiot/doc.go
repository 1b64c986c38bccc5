// Package azureiot is tether's Azure IoT Hub adapter.
//
// New turns a Config (a device or module connection string, or its fields)
// into a transport.Conn: MQTT 3.1.1 over TLS on port 8883, or over WebSocket
// on 443 at /$iothub/websocket, with IoT Hub's client ID and username, a
// fresh SAS token minted for every connection attempt (or an X.509
// certificate read again for every handshake), and a graceful reconnect
// after TokenRenewAt of the token's lifetime, since the hub closes the
// connection when its token expires. Its Dialect translates canonical topics
// and properties and refuses locally, with errors matching the transport
// sentinels, what the hub would answer by closing the connection: other
// topics, QoS 2, messages over 256 KiB. The azureiottest package emulates
// the hub for tests.
//
// The adapter rests on pure protocol codecs, with no I/O: parsing device
// connection strings, minting shared access signature (SAS) tokens,
// building the MQTT client ID and username, encoding and
// decoding IoT Hub property bags, translating tether's canonical
// device-relative topics to and from IoT Hub topics, and deciding which
// topics a device may publish or subscribe to. IoT Hub answers most protocol
// violations by closing the connection without a reason, so the adapter uses
// these functions to validate everything before it is sent.
//
// Canonical topics map to IoT Hub as follows (the device ID is "d"):
//
//	events                     devices/d/messages/events/
//	response/sensor/12/reading devices/d/messages/events/subtopic=response.sensor.12.reading
//	request/sensor/list        devices/d/messages/devicebound/subtopic=request.sensor.list (incoming)
//	c2d                        devices/d/messages/devicebound/{bag without subtopic} (incoming)
//
// Every function and type here is safe for concurrent use.
package azureiot
