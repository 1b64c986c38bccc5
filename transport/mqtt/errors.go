package mqtt

import (
	"fmt"

	"github.com/tether-iot/tether/transport"
)

// Errors of the broker's rules. Each wraps the shared transport sentinel it
// refines, so errors.Is(err, transport.ErrPayloadTooLarge) holds as well as
// errors.Is(err, ErrPayloadTooLarge). Numeric limits come in a
// *transport.LimitError whose Kind is one of these.
var (
	// ErrPayloadTooLarge: the PUBLISH would exceed MaxPacketSize or
	// Config.MaxPayload.
	ErrPayloadTooLarge = fmt.Errorf("mqtt: payload too large: %w", transport.ErrPayloadTooLarge)
	// ErrTopicTooLong: the topic or filter is longer than MaxTopicLength
	// bytes.
	ErrTopicTooLong = fmt.Errorf("mqtt: topic too long: %w", transport.ErrTopicTooLong)
	// ErrInvalidTopic: the topic or filter breaks MQTT 3.1.1 §4.7 (empty,
	// not UTF-8, NUL, misplaced wildcard). The error also matches
	// mqttx.ErrInvalidTopic or mqttx.ErrInvalidFilter.
	ErrInvalidTopic = fmt.Errorf("mqtt: invalid topic: %w", transport.ErrInvalidTopic)
	// ErrQoSNotSupported: QoS above 1 without Config.AllowQoS2, or above 2.
	ErrQoSNotSupported = fmt.Errorf("mqtt: QoS not supported: %w", transport.ErrQoSNotSupported)
	// ErrPropertiesNotSupported: Send got a message with Properties, which
	// MQTT 3.1.1 cannot carry, and Config.Properties is PropertiesReject.
	ErrPropertiesNotSupported = fmt.Errorf("mqtt: %w", transport.ErrPropertiesNotSupported)
)

func limitError(kind error, limit string, value, max int) error {
	return &transport.LimitError{Kind: kind, Cloud: transport.CloudMQTT, Limit: limit, Value: value, Max: max}
}
