package shadowdoc

import (
	"errors"
	"fmt"
)

// HTTP-like status codes the Device Shadow service puts in "code" of a
// */rejected response (AWS "Device Shadow error messages").
const (
	CodeBadRequest           = 400
	CodeUnauthorized         = 401
	CodeForbidden            = 403
	CodeNotFound             = 404
	CodeConflict             = 409
	CodePayloadTooLarge      = 413
	CodeUnsupportedMediaType = 415
	CodeTooManyRequests      = 429
	CodeInternal             = 500
)

// Messages the Device Shadow service documents for its rejections. The
// emulator answers with exactly these; the client matches on Code, never on
// text.
const (
	MsgInvalidJSON          = "Invalid JSON"
	MsgMissingState         = "Missing required node: state"
	MsgStateNotObject       = "State node must be an object"
	MsgDesiredNotObject     = "Desired node must be an object"
	MsgReportedNotObject    = "Reported node must be an object"
	MsgInvalidVersion       = "Invalid version"
	MsgInvalidClientToken   = "Invalid clientToken"
	MsgVersionConflict      = "Version conflict"
	MsgPayloadTooLarge      = "The payload exceeds the maximum size allowed"
	MsgUnsupportedEncoding  = "Unsupported documented encoding; supported encoding is UTF-8"
	MsgNullInArray          = "Invalid JSON: arrays can't contain null values"
	msgInvalidNodeFormat    = "State contains an invalid node: '%s'"
	msgTooDeepFormat        = "JSON contains too many levels of nesting; maximum is %d"
	msgRejectedErrorPattern = "shadowdoc: rejected with %d: %s"
)

// Sentinels for errors.Is. An *Error matches the sentinel of its Code, so
// errors.Is(err, ErrVersionConflict) works on both a locally detected
// conflict and one parsed from update/rejected.
var (
	ErrBadRequest           = errors.New("shadowdoc: bad request (400)")
	ErrNotFound             = errors.New("shadowdoc: not found (404)")
	ErrVersionConflict      = errors.New("shadowdoc: version conflict (409)")
	ErrPayloadTooLarge      = errors.New("shadowdoc: payload too large (413)")
	ErrUnsupportedMediaType = errors.New("shadowdoc: unsupported encoding (415)")
	ErrTooManyRequests      = errors.New("shadowdoc: too many requests (429)")
)

// ErrMalformed: a response from the service that is not valid JSON of the
// expected shape. The response parsers wrap it.
var ErrMalformed = errors.New("shadowdoc: malformed message")

// Error is a shadow operation failure with the service's HTTP-like code and
// an AWS-like message. Validation and ApplyUpdate return it so the emulator
// can answer */rejected with exactly what the service would send, and the
// client can refuse a request the service would reject. Use errors.As to get
// it, or errors.Is with the sentinels (ErrBadRequest, ErrVersionConflict,
// ErrPayloadTooLarge, ...).
type Error struct {
	Code    int    // 400, 404, 409, 413, 415, ...
	Message string // e.g. "Missing required node: state"
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf(msgRejectedErrorPattern, e.Code, e.Message)
}

// Is reports whether target is the sentinel for e.Code.
func (e *Error) Is(target error) bool {
	return target != nil && codeSentinel(e.Code) == target
}

// Response builds the */rejected payload for e.
func (e *Error) Response(timestamp int64, clientToken string) ErrorResponse {
	return ErrorResponse{Code: e.Code, Message: e.Message, Timestamp: timestamp, ClientToken: clientToken}
}

// SafeToRetry reports whether sending the same request again may succeed:
// throttling (429) and internal failures (5xx). A 409 needs a GET first; a
// 400 or 413 never succeeds unchanged.
func (e *Error) SafeToRetry() bool {
	return e.Code == CodeTooManyRequests || e.Code >= 500
}

func codeSentinel(code int) error {
	switch code {
	case CodeBadRequest:
		return ErrBadRequest
	case CodeNotFound:
		return ErrNotFound
	case CodeConflict:
		return ErrVersionConflict
	case CodePayloadTooLarge:
		return ErrPayloadTooLarge
	case CodeUnsupportedMediaType:
		return ErrUnsupportedMediaType
	case CodeTooManyRequests:
		return ErrTooManyRequests
	}
	return nil
}

func badRequest(msg string) *Error { return &Error{Code: CodeBadRequest, Message: msg} }

// malformed wraps ErrMalformed (and err, if any) with the message kind:
// "shadowdoc: malformed message: update/delta: invalid character ...".
func malformed(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%w: %s", ErrMalformed, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
}
