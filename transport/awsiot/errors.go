package awsiot

import (
	"errors"
	"fmt"
)

// Sentinel errors. Validators return them wrapped (numeric limits in a
// *LimitError), so test with errors.Is.
var (
	// ErrPayloadTooLarge: the payload exceeds MaxPayloadSize. AWS IoT Core
	// drops the connection on such a publish.
	ErrPayloadTooLarge = errors.New("awsiot: payload too large")
	// ErrTopicTooLong: the topic or filter exceeds MaxTopicLength bytes.
	ErrTopicTooLong = errors.New("awsiot: topic too long")
	// ErrTooManySlashes: the topic or filter has more than MaxTopicSlashes
	// slashes.
	ErrTooManySlashes = errors.New("awsiot: too many slashes in topic")
	// ErrInvalidTopic: the topic or filter is not a valid MQTT topic name or
	// filter (empty, not UTF-8, NUL, misplaced wildcard).
	ErrInvalidTopic = errors.New("awsiot: invalid topic")
	// ErrQoSNotSupported: AWS IoT Core supports QoS 0 and 1 only.
	ErrQoSNotSupported = errors.New("awsiot: QoS not supported")
	// ErrInvalidClientID: the client ID is empty, too long, not UTF-8 or
	// starts with "$".
	ErrInvalidClientID = errors.New("awsiot: invalid client ID")
	// ErrTooManyFilters: a SUBSCRIBE carries more than
	// MaxFiltersPerSubscribe filters (or none).
	ErrTooManyFilters = errors.New("awsiot: too many filters in one SUBSCRIBE")
	// ErrTooManySubscriptions: more than MaxSubscriptions subscriptions on
	// one connection.
	ErrTooManySubscriptions = errors.New("awsiot: too many subscriptions")
	// ErrKeepAliveOutOfRange: the keepalive is outside
	// [MinKeepAlive, MaxKeepAlive]; AWS IoT Core would change it (see
	// ClampKeepAlive).
	ErrKeepAliveOutOfRange = errors.New("awsiot: keepalive out of range")
	// ErrInvalidThingName: the thing name is empty, too long or has a
	// character outside [a-zA-Z0-9:_-].
	ErrInvalidThingName = errors.New("awsiot: invalid thing name")
	// ErrInvalidTopicPrefix: a Topics prefix is not usable (wildcard, NUL,
	// not UTF-8, leading "$").
	ErrInvalidTopicPrefix = errors.New("awsiot: invalid topic prefix")

	// ErrInvalidEndpoint: the endpoint is not a bare host name (with an
	// optional port).
	ErrInvalidEndpoint = errors.New("awsiot: invalid endpoint")
	// ErrInvalidRegion: the region is empty or not of the form "us-east-1".
	ErrInvalidRegion = errors.New("awsiot: invalid region")
	// ErrMissingCredentials: the access key ID or the secret access key is
	// empty.
	ErrMissingCredentials = errors.New("awsiot: missing credentials")
	// ErrClockNotSet: the signing time is before 2020, which means the
	// device clock has not been set yet (no RTC, no NTP sync); AWS would
	// reject the signature.
	ErrClockNotSet = errors.New("awsiot: clock not set")
	// ErrInvalidAuthorizer: a CustomAuthorizer is incomplete or
	// inconsistent.
	ErrInvalidAuthorizer = errors.New("awsiot: invalid custom authorizer")
)

// LimitError reports a numeric AWS IoT Core limit that a value breaks.
// errors.Is matches its Kind (one of the sentinels above), so a later
// mapping onto shared sentinels only has to change Kind or the sentinels
// themselves.
type LimitError struct {
	Kind  error  // the sentinel the error matches, e.g. ErrPayloadTooLarge
	Limit string // what is limited, e.g. "payload size"
	Value int    // the offending value
	Min   int    // the lower bound; 0 when there is none
	Max   int    // the upper bound
}

// Error describes the violation. It never contains the checked data itself,
// only its measure.
func (e *LimitError) Error() string {
	if e.Min > 0 {
		return fmt.Sprintf("awsiot: %s %d outside [%d, %d]", e.Limit, e.Value, e.Min, e.Max)
	}
	return fmt.Sprintf("awsiot: %s %d exceeds maximum %d", e.Limit, e.Value, e.Max)
}

// Unwrap returns Kind, so errors.Is(err, ErrPayloadTooLarge) works.
func (e *LimitError) Unwrap() error { return e.Kind }
