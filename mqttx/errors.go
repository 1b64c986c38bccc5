package mqttx

import (
	"errors"
	"fmt"
)

// Errors returned by the client. Compare with errors.Is.
var (
	ErrNotConnected        = errors.New("mqttx: not connected")
	ErrClosed              = errors.New("mqttx: client closed")
	ErrInvalidTopic        = errors.New("mqttx: invalid topic name")
	ErrInvalidFilter       = errors.New("mqttx: invalid topic filter")
	ErrInvalidQoS          = errors.New("mqttx: invalid QoS")
	ErrSlowConsumer        = errors.New("mqttx: slow consumer, message dropped")
	ErrSubscriptionRefused = errors.New("mqttx: subscription refused") // SUBACK return code 0x80
	ErrConnectionRefused   = errors.New("mqttx: connection refused")   // any CONNACK return code != 0
	// ErrConnectionLost is returned by calls whose acknowledgement was lost with the connection.
	ErrConnectionLost = errors.New("mqttx: connection lost")
	// ErrReconnectRequested is the reason of a connection closed by Reconnect.
	ErrReconnectRequested = errors.New("mqttx: reconnect requested")

	// One sentinel per MQTT 3.1.1 CONNACK refusal code; each also matches ErrConnectionRefused.
	ErrUnacceptableProtocolVersion = errors.New("mqttx: connection refused: unacceptable protocol version") // 1
	ErrIdentifierRejected          = errors.New("mqttx: connection refused: identifier rejected")           // 2
	ErrServerUnavailable           = errors.New("mqttx: connection refused: server unavailable")            // 3
	ErrBadUsernameOrPassword       = errors.New("mqttx: connection refused: bad user name or password")     // 4
	ErrNotAuthorized               = errors.New("mqttx: connection refused: not authorized")                // 5
)

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
const (
	ConnAccepted                    byte = 0
	ConnUnacceptableProtocolVersion byte = 1
	ConnIdentifierRejected          byte = 2
	ConnServerUnavailable           byte = 3
	ConnBadUsernameOrPassword       byte = 4
	ConnNotAuthorized               byte = 5
)

// SubackFailure is the SUBACK return code of a refused filter.
const SubackFailure byte = 0x80

var connackSentinels = [...]error{
	ConnUnacceptableProtocolVersion: ErrUnacceptableProtocolVersion,
	ConnIdentifierRejected:          ErrIdentifierRejected,
	ConnServerUnavailable:           ErrServerUnavailable,
	ConnBadUsernameOrPassword:       ErrBadUsernameOrPassword,
	ConnNotAuthorized:               ErrNotAuthorized,
}

// TopicError reports an invalid topic name or filter.
type TopicError struct {
	Topic  string // the offending topic or filter (truncated in Error)
	Reason string
	Filter bool // a filter (SUBSCRIBE) rather than a topic name (PUBLISH)
}

// Error names the kind (topic name or filter), quotes the topic (its first
// 80 bytes) and says what is wrong with it.
func (e *TopicError) Error() string {
	kind := "topic name"
	if e.Filter {
		kind = "topic filter"
	}
	t := e.Topic
	if len(t) > 80 {
		t = t[:80] + "..."
	}
	return fmt.Sprintf("mqttx: invalid %s %q: %s", kind, t, e.Reason)
}

// Is matches ErrInvalidFilter for filters and ErrInvalidTopic for topic names.
func (e *TopicError) Is(target error) bool {
	if e.Filter {
		return target == ErrInvalidFilter
	}
	return target == ErrInvalidTopic
}

// SubscribeError reports a filter the server refused (SUBACK return code 0x80).
type SubscribeError struct {
	Filter string
	Code   byte
}

// Error quotes the refused filter and the SUBACK return code.
func (e *SubscribeError) Error() string {
	return fmt.Sprintf("mqttx: subscription to %q refused (SUBACK code 0x%02x)", e.Filter, e.Code)
}

// Is matches ErrSubscriptionRefused.
func (e *SubscribeError) Is(target error) bool { return target == ErrSubscriptionRefused }

// ConnectError reports a CONNACK with a non-zero return code.
type ConnectError struct {
	Code byte
}

// Error is the message of the return code's sentinel (ErrNotAuthorized,
// ...) or, for an unknown code, names the code.
func (e *ConnectError) Error() string {
	if s := e.sentinel(); s != nil {
		return s.Error()
	}
	return fmt.Sprintf("mqttx: connection refused: CONNACK return code %d", e.Code)
}

func (e *ConnectError) sentinel() error {
	if int(e.Code) < len(connackSentinels) {
		return connackSentinels[e.Code]
	}
	return nil
}

// Is matches ErrConnectionRefused and the sentinel of the return code (ErrNotAuthorized, ...).
func (e *ConnectError) Is(target error) bool {
	return target == ErrConnectionRefused || (target != nil && target == e.sentinel())
}

// Permanent reports whether retrying with the same credentials and options is pointless: codes 1
// (protocol version), 2 (identifier), 4 (bad user name or password) and 5 (not authorized). Code 3
// (server unavailable) and unknown codes are transient.
func (e *ConnectError) Permanent() bool {
	switch e.Code {
	case ConnUnacceptableProtocolVersion, ConnIdentifierRejected, ConnBadUsernameOrPassword, ConnNotAuthorized:
		return true
	}
	return false
}
