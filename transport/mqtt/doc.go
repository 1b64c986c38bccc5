// Package mqtt connects a device to a plain MQTT 3.1.1 broker on premises
// (mosquitto, EMQX, HiveMQ, VerneMQ) through tether's transport.Transport.
//
// Canonical, device-relative topics travel under a per-device prefix, by
// default "{device}/", both ways:
//
//	canonical                   broker
//	events                      {device}/events
//	response/sensor/12/reading  {device}/response/sensor/12/reading
//	request/# (Handle)          {device}/request/#
//
// so the same firmware runs against AWS IoT Core, Azure IoT Hub and the
// plant's own broker. The raw methods (PublishRaw, SubscribeRaw) reach any
// valid topic, for integrations that predate the canonical scheme.
//
// A plain broker has no cloud limits beyond MQTT's own: topics are checked
// against MQTT 3.1.1 §4.7 (at most MaxTopicLength bytes), payloads against
// the largest packet MQTT can encode, or Config.MaxPayload when the
// broker is configured lower (EMQX's default max_packet_size is 1 MiB).
//
// QoS: tether's portable contract is QoS 0 and 1, which every cloud
// supports, and that is the default here too. Brokers do support QoS 2;
// Config.AllowQoS2 lets Send, PublishRaw and SubscribeRaw use it.
//
// Properties: MQTT 3.1.1 has no place for message properties, so Send
// refuses a message that has any (transport.ErrPropertiesNotSupported)
// unless Config.Properties is PropertiesIgnore.
//
// TLS verification is always on: give TLSConfig.RootCAs for a broker
// with a private CA. There is no option to skip verification.
package mqtt
