package azureiot

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/transport"
)

// Sentinel errors. Match them with errors.Is; the typed errors below carry the
// details and match their sentinel.
var (
	// ErrInvalidConnectionString is matched by every *ConnectionStringError.
	ErrInvalidConnectionString = errors.New("azureiot: invalid connection string")
	// ErrInvalidID is matched by every *IDError: an invalid device ID,
	// module ID, host name or model ID.
	ErrInvalidID = errors.New("azureiot: invalid identity")
	// ErrInvalidPropertyBag is matched by every *PropertyError.
	ErrInvalidPropertyBag = errors.New("azureiot: invalid property bag")
	// ErrInvalidTopic is matched by every *TopicError. It wraps
	// transport.ErrInvalidTopic.
	ErrInvalidTopic = fmt.Errorf("azureiot: invalid topic: %w", transport.ErrInvalidTopic)
	// ErrPayloadTooLarge is matched by every *MessageSizeError and by the
	// adapter's size errors. It wraps transport.ErrPayloadTooLarge.
	ErrPayloadTooLarge = fmt.Errorf("azureiot: message too large: %w", transport.ErrPayloadTooLarge)
	// ErrTopicNotAllowed: IoT Hub does not let this device or module publish
	// or subscribe to the topic (it would close the connection). It wraps
	// transport.ErrTopicNotAllowed.
	ErrTopicNotAllowed = fmt.Errorf("azureiot: topic not allowed: %w", transport.ErrTopicNotAllowed)
	// ErrQoSNotSupported: IoT Hub supports QoS 0 and 1 only (a QoS 2
	// PUBLISH closes the connection). It wraps transport.ErrQoSNotSupported.
	ErrQoSNotSupported = fmt.Errorf("azureiot: QoS not supported: %w", transport.ErrQoSNotSupported)
	// ErrClockNotSet is returned by CheckClock for a clock that cannot be
	// right, such as the 1970 clock of a device without a real-time clock.
	ErrClockNotSet = errors.New("azureiot: system clock not set")
)

// ConnectionStringError reports why a connection string was rejected. It
// never contains the shared access key or any other value from the string.
type ConnectionStringError struct {
	// Field is the connection string key concerned, such as "HostName" or
	// "SharedAccessKey"; empty when the problem is not tied to a known key.
	Field string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *ConnectionStringError) Error() string {
	if e.Field == "" {
		return "azureiot: invalid connection string: " + e.Reason
	}
	return "azureiot: invalid connection string: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidConnectionString.
func (e *ConnectionStringError) Is(target error) bool { return target == ErrInvalidConnectionString }

// IDError reports an invalid device ID, module ID, host name or model ID. It
// does not repeat the value.
type IDError struct {
	// Field is "DeviceId", "ModuleId", "HostName", "GatewayHostName" or
	// "ModelId".
	Field string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *IDError) Error() string {
	return "azureiot: invalid " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidID.
func (e *IDError) Is(target error) bool { return target == ErrInvalidID }

// PropertyError reports a malformed property bag or a property that cannot be
// encoded. Values are never repeated.
type PropertyError struct {
	// Name is the decoded property name concerned, if known.
	Name string
	// Offset is the byte offset in the encoded bag where decoding failed, or
	// -1 when the error was found while encoding.
	Offset int
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *PropertyError) Error() string {
	switch {
	case e.Offset >= 0:
		return fmt.Sprintf("azureiot: invalid property bag at byte %d: %s", e.Offset, e.Reason)
	case e.Name != "":
		return fmt.Sprintf("azureiot: invalid property %q: %s", e.Name, e.Reason)
	default:
		return "azureiot: invalid property: " + e.Reason
	}
}

// Is reports whether target is ErrInvalidPropertyBag.
func (e *PropertyError) Is(target error) bool { return target == ErrInvalidPropertyBag }

// TopicError reports a topic that cannot be translated or parsed.
type TopicError struct {
	// Topic is the offending topic (canonical or IoT Hub).
	Topic string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any (for example a *PropertyError).
	Err error
}

// Error implements error.
func (e *TopicError) Error() string {
	msg := fmt.Sprintf("azureiot: invalid topic %q: %s", e.Topic, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrInvalidTopic or transport.ErrInvalidTopic.
func (e *TopicError) Is(target error) bool {
	return target == ErrInvalidTopic || target == transport.ErrInvalidTopic
}

// Unwrap returns the underlying error.
func (e *TopicError) Unwrap() error { return e.Err }

// MessageSizeError reports a message over an IoT Hub size limit.
type MessageSizeError struct {
	// Size is the message size as IoT Hub counts it.
	Size int
	// Limit is the limit it exceeds.
	Limit int
}

// Error implements error.
func (e *MessageSizeError) Error() string {
	return fmt.Sprintf("azureiot: message too large: %d bytes, limit %d", e.Size, e.Limit)
}

// Is reports whether target is ErrPayloadTooLarge or
// transport.ErrPayloadTooLarge.
func (e *MessageSizeError) Is(target error) bool {
	return target == ErrPayloadTooLarge || target == transport.ErrPayloadTooLarge
}
