// Package transport is the device's connection to one cloud, seen through
// tether's canonical, device-relative topics.
//
// Firmware sends messages such as "events" or "response/sensor/12/reading"
// and handles "request/#"; an adapter (awsiot, azureiot, mqtt) translates
// those topics to its cloud's, authenticates, and refuses locally anything
// the cloud would answer by dropping the connection. The shadow, twin and
// command packages speak to the cloud's reserved topics through the raw
// methods of the same Transport.
//
// The canonical scheme:
//
//	canonical                  AWS IoT Core                    Azure IoT Hub
//	events                     {thing}/events                  devices/{id}/messages/events/
//	response/sensor/12/reading {thing}/response/sensor/12/...  devices/{id}/messages/events/subtopic=response.sensor.12.reading
//	request/# (incoming)       {thing}/request/#               devices/{id}/messages/devicebound/...subtopic=request.x.y
package transport
