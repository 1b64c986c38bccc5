package transport

import (
	"errors"
	"fmt"
)

// Errors shared by every adapter. Adapters return them wrapped, usually in a
// *LimitError, so errors.Is works on the sentinel whatever the cloud.
var (
	// ErrPayloadTooLarge: the message exceeds the cloud's size limit.
	ErrPayloadTooLarge = errors.New("transport: payload too large")
	// ErrTopicNotAllowed: the cloud does not let a device use this topic.
	ErrTopicNotAllowed = errors.New("transport: topic not allowed")
	// ErrTopicTooLong: the topic exceeds the cloud's length or depth limit.
	ErrTopicTooLong = errors.New("transport: topic too long")
	// ErrInvalidTopic: the canonical topic or filter is malformed.
	ErrInvalidTopic = errors.New("transport: invalid topic")
	// ErrQoSNotSupported: the cloud does not support the requested QoS.
	ErrQoSNotSupported = errors.New("transport: QoS not supported")
	// ErrTooManySubscriptions: the cloud's subscription limit is reached.
	ErrTooManySubscriptions = errors.New("transport: too many subscriptions")
	// ErrPropertiesNotSupported: the cloud cannot carry message properties.
	ErrPropertiesNotSupported = errors.New("transport: message properties not supported by this cloud")
	// ErrInvalidConfig: the adapter's configuration is incomplete or wrong.
	ErrInvalidConfig = errors.New("transport: invalid configuration")
)

// LimitError reports a cloud limit that a message or subscription would
// break. It matches its Kind with errors.Is.
type LimitError struct {
	Kind  error  // one of the sentinels above
	Cloud Cloud  // whose limit
	Limit string // what is limited, e.g. "payload size"
	Value int    // the offending value
	Max   int    // the limit; 0 when not numeric
}

// Error names the cloud, what is limited and, for a numeric limit, the
// offending value and the limit. It never contains the data checked.
func (e *LimitError) Error() string {
	if e.Max > 0 {
		return fmt.Sprintf("transport: %s: %s %d exceeds %d", e.Cloud, e.Limit, e.Value, e.Max)
	}
	return fmt.Sprintf("transport: %s: %s", e.Cloud, e.Limit)
}

// Unwrap returns the sentinel the error matches.
func (e *LimitError) Unwrap() error { return e.Kind }

// Permanent reports true: sending the same message again breaks the same
// limit, so the outbox dead-letters it instead of replaying it (see
// outbox.IsPermanent).
func (e *LimitError) Permanent() bool { return true }

// ConfigError names a configuration setting that is missing or wrong. It
// matches ErrInvalidConfig.
type ConfigError struct {
	Setting string // the setting's name, as in the adapter's Config
	Reason  string
	Err     error // the underlying cause, if any
}

// Error names the setting, says what is wrong with it and appends the
// cause, if any.
func (e *ConfigError) Error() string {
	msg := "transport: config " + e.Setting + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap returns the underlying cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// Permanent reports true: retrying cannot fix a configuration (see
// outbox.IsPermanent).
func (e *ConfigError) Permanent() bool { return true }
