package awsiot

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/transport"
)

// Sentinel errors. Validators return them wrapped (numeric limits in a
// *LimitError), so test with errors.Is. Each sentinel that refines one of
// the transport package's shared errors also matches it, so that
// errors.Is(err, transport.ErrPayloadTooLarge) holds for
// ErrPayloadTooLarge, whatever the cloud.
var (
	// ErrPayloadTooLarge: the payload exceeds MaxPayloadSize. AWS IoT Core
	// drops the connection on such a publish.
	ErrPayloadTooLarge = refine("awsiot: payload too large", transport.ErrPayloadTooLarge)
	// ErrTopicTooLong: the topic or filter exceeds MaxTopicLength bytes.
	ErrTopicTooLong = refine("awsiot: topic too long", transport.ErrTopicTooLong)
	// ErrTooManySlashes: the topic or filter has more than MaxTopicSlashes
	// slashes.
	ErrTooManySlashes = refine("awsiot: too many slashes in topic", transport.ErrTopicTooLong)
	// ErrInvalidTopic: the topic or filter is not a valid MQTT topic name or
	// filter (empty, not UTF-8, NUL, misplaced wildcard).
	ErrInvalidTopic = refine("awsiot: invalid topic", transport.ErrInvalidTopic)
	// ErrQoSNotSupported: AWS IoT Core supports QoS 0 and 1 only.
	ErrQoSNotSupported = refine("awsiot: QoS not supported", transport.ErrQoSNotSupported)
	// ErrInvalidClientID: the client ID is empty, too long, not UTF-8 or
	// starts with "$".
	ErrInvalidClientID = refine("awsiot: invalid client ID", transport.ErrInvalidConfig)
	// ErrTooManyFilters: a SUBSCRIBE carries more than
	// MaxFiltersPerSubscribe filters (or none).
	ErrTooManyFilters = errors.New("awsiot: too many filters in one SUBSCRIBE")
	// ErrTooManySubscriptions: more than MaxSubscriptions subscriptions on
	// one connection.
	ErrTooManySubscriptions = refine("awsiot: too many subscriptions", transport.ErrTooManySubscriptions)
	// ErrKeepAliveOutOfRange: the keepalive is outside
	// [MinKeepAlive, MaxKeepAlive]; AWS IoT Core would change it (see
	// ClampKeepAlive).
	ErrKeepAliveOutOfRange = refine("awsiot: keepalive out of range", transport.ErrInvalidConfig)
	// ErrInvalidThingName: the thing name is empty, too long or has a
	// character outside [a-zA-Z0-9:_-].
	ErrInvalidThingName = refine("awsiot: invalid thing name", transport.ErrInvalidConfig)
	// ErrInvalidTopicPrefix: a Topics prefix is not usable (wildcard, NUL,
	// not UTF-8, leading "$").
	ErrInvalidTopicPrefix = refine("awsiot: invalid topic prefix", transport.ErrInvalidConfig)

	// ErrInvalidEndpoint: the endpoint is not a bare host name (with an
	// optional port).
	ErrInvalidEndpoint = refine("awsiot: invalid endpoint", transport.ErrInvalidConfig)
	// ErrInvalidRegion: the region is empty or not of the form "us-east-1".
	ErrInvalidRegion = refine("awsiot: invalid region", transport.ErrInvalidConfig)
	// ErrMissingCredentials: the access key ID or the secret access key is
	// empty.
	ErrMissingCredentials = errors.New("awsiot: missing credentials")
	// ErrClockNotSet: the signing time is before 2020, which means the
	// device clock has not been set yet (no RTC, no NTP sync); AWS would
	// reject the signature.
	ErrClockNotSet = errors.New("awsiot: clock not set")
	// ErrInvalidAuthorizer: a CustomAuthorizer is incomplete or
	// inconsistent.
	ErrInvalidAuthorizer = refine("awsiot: invalid custom authorizer", transport.ErrInvalidConfig)
)

// refinedError is a sentinel of this package that also matches the shared
// transport sentinel it refines. Its message is its own.
type refinedError struct {
	msg  string
	kind error
}

func refine(msg string, kind error) error { return &refinedError{msg: msg, kind: kind} }

func (e *refinedError) Error() string { return e.msg }

// Unwrap returns the transport sentinel e refines.
func (e *refinedError) Unwrap() error { return e.kind }

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

// As lets errors.As view e as the cloud-neutral *transport.LimitError
// (Cloud transport.CloudAWS), so firmware written for any cloud can read
// the limit.
func (e *LimitError) As(target any) bool {
	t, ok := target.(**transport.LimitError)
	if !ok {
		return false
	}
	*t = &transport.LimitError{Kind: e.Kind, Cloud: transport.CloudAWS, Limit: e.Limit, Value: e.Value, Max: e.Max}
	return true
}
