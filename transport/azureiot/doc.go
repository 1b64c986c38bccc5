// Package azureiot is tether's Azure IoT Hub adapter.
//
// This part of the package holds the adapter's pure protocol codecs, with no
// I/O: parsing device connection strings, minting shared access signature
// (SAS) tokens, building the MQTT client ID and username, encoding and
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
// Every function here is safe for concurrent use.
package azureiot
