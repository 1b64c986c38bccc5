package twin

import (
	"errors"
	"strconv"

	"github.com/tether-iot/tether/internal/twindoc"
)

// Sentinel errors.
var (
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("twin: client closed")
	// ErrThrottled matches an *Error with status 429. Such requests are
	// retried until the caller's ctx ends.
	ErrThrottled = errors.New("twin: throttled by the hub")
	// ErrBadRequest matches an *Error with status 400: the hub refused the
	// document. It is never retried.
	ErrBadRequest = errors.New("twin: bad request")
	// ErrConnectionLost: the connection dropped while a request waited for
	// its response. Retried after the reconnect, within the caller's ctx.
	ErrConnectionLost = errors.New("twin: connection lost before the response")
	// ErrNoResponse: no response came within the request timeout
	// (WithRequestTimeout). Retried within the caller's ctx.
	ErrNoResponse = errors.New("twin: no response from the hub")
	// ErrMalformedResponse: the hub's answer could not be parsed.
	ErrMalformedResponse = errors.New("twin: malformed response")
	// ErrInvalidPatch: a reported patch was refused before sending; nothing
	// was sent. The error also matches the sentinel of the rule it breaks
	// (ErrInvalidKey, ErrTooDeep, ...) and, for those, is a *ValidationError.
	ErrInvalidPatch = errors.New("twin: invalid reported patch")
)

// The twin rules a reported patch is checked against before it is sent
// (IoT Hub's documented limits). An error matching one of these also
// matches ErrInvalidPatch.
var (
	// ErrInvalidKey: a key is longer than 1 KiB or holds a control
	// character, '.', '$' or a space (see WithKeyMapping).
	ErrInvalidKey = twindoc.ErrInvalidKey
	// ErrTooDeep: objects or arrays nested deeper than 10 levels.
	ErrTooDeep = twindoc.ErrTooDeep
	// ErrStringTooLong: a string value longer than 4 KiB.
	ErrStringTooLong = twindoc.ErrStringTooLong
	// ErrIntegerOutOfRange: an integer outside -2^52..2^52-1.
	ErrIntegerOutOfRange = twindoc.ErrIntegerOutOfRange
	// ErrNullInArray: a null inside an array.
	ErrNullInArray = twindoc.ErrNullInArray
	// ErrUnsupportedValue: a value that is not a JSON value the hub takes.
	ErrUnsupportedValue = twindoc.ErrUnsupportedValue
	// ErrTooLarge: the patch, or the reported properties once it is merged,
	// are larger than 32 KiB as the hub counts them.
	ErrTooLarge = twindoc.ErrTooLarge
	// ErrKeyCollision: two keys of one object map to the same key under the
	// key mapping.
	ErrKeyCollision = twindoc.ErrKeyCollision
)

// ValidationError locates the rule a reported patch breaks: Path is a JSON
// Pointer to the offending member, Err the sentinel.
type ValidationError = twindoc.ValidationError

// Error is a twin request the hub answered with a failure status.
// Retrieve it with errors.As; it matches ErrThrottled (429) and
// ErrBadRequest (400) with errors.Is.
type Error struct {
	Op        string // "GET" or "PATCH reported"
	Status    int    // the status of the hub's response
	RequestID string // the $rid of the failed request
}

// Error implements error.
func (e *Error) Error() string {
	s := "twin: " + e.Op + " (" + "$rid " + e.RequestID + ") failed with status " + strconv.Itoa(e.Status)
	if e.Retryable() {
		s += " (retryable)"
	}
	return s
}

// Retryable reports whether the hub may accept the same request later:
// 429 (throttled) and 5xx.
func (e *Error) Retryable() bool { return twindoc.Retryable(e.Status) }

// Is reports whether target is ErrThrottled (status 429) or ErrBadRequest
// (status 400).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrThrottled:
		return e.Status == twindoc.StatusTooManyRequests
	case ErrBadRequest:
		return e.Status == twindoc.StatusBadRequest
	}
	return false
}
