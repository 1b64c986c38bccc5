package shadow

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// Sentinels for errors.Is. An *Error matches the sentinel of its Code.
var (
	// ErrBadRequest: 400, the request is malformed or breaks a content
	// limit (depth, clientToken, null in an array).
	ErrBadRequest = errors.New("shadow: bad request (400)")
	// ErrNotFound: 404, the shadow does not exist.
	ErrNotFound = errors.New("shadow: not found (404)")
	// ErrVersionConflict: 409, the update named a version that is not the
	// shadow's current one.
	ErrVersionConflict = errors.New("shadow: version conflict (409)")
	// ErrTooLarge: 413, desired plus reported would exceed 8 KiB.
	ErrTooLarge = errors.New("shadow: document too large (413)")
	// ErrTooManyRequests: 429, the thing has too many requests in flight.
	ErrTooManyRequests = errors.New("shadow: too many requests (429)")

	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("shadow: client closed")
	// ErrConnectionLost: the connection dropped while the request waited
	// for its response, which may never come. The request may or may not
	// have been applied; the client GETs the shadow after the reconnect.
	ErrConnectionLost = errors.New("shadow: connection lost while waiting for the response")
)

// Error is a shadow request refused by the service (a */rejected
// response) or, when Local is true, by the client before sending.
type Error struct {
	Op      string // "get", "update" or "delete"
	Code    int    // HTTP-like: 400, 401, 403, 404, 409, 413, 415, 429, 500
	Message string // the service's message
	// Local reports that the client refused the request before sending it:
	// nothing was published.
	Local bool
	// Current is, for a 409 conflict, the shadow's current document as a
	// GET returned it after the conflict; nil if that GET failed.
	Current *Document
}

// Error implements error.
func (e *Error) Error() string {
	how := "rejected"
	if e.Local {
		how = "refused before sending"
	}
	return fmt.Sprintf("shadow: %s %s: %d %s", e.Op, how, e.Code, e.Message)
}

// Is reports whether target is the sentinel of e.Code.
func (e *Error) Is(target error) bool {
	return target != nil && codeSentinel(e.Code) == target
}

// SafeToRetry reports whether sending the same request again may succeed:
// throttling (429) and service failures (5xx). A 409 needs the current
// version first (see Modify); a 400 or 413 never succeeds unchanged.
func (e *Error) SafeToRetry() bool {
	return (&shadowdoc.Error{Code: e.Code}).SafeToRetry()
}

func codeSentinel(code int) error {
	switch code {
	case shadowdoc.CodeBadRequest:
		return ErrBadRequest
	case shadowdoc.CodeNotFound:
		return ErrNotFound
	case shadowdoc.CodeConflict:
		return ErrVersionConflict
	case shadowdoc.CodePayloadTooLarge:
		return ErrTooLarge
	case shadowdoc.CodeTooManyRequests:
		return ErrTooManyRequests
	}
	return nil
}

// localError converts a shadowdoc validation error to a local *Error.
func localError(op shadowdoc.Operation, err error) error {
	var e *shadowdoc.Error
	if errors.As(err, &e) {
		return &Error{Op: string(op), Code: e.Code, Message: e.Message, Local: true}
	}
	return &Error{Op: string(op), Code: shadowdoc.CodeBadRequest, Message: err.Error(), Local: true}
}
