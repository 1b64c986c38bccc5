package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Each failure the Server answers maps to one of them, and
// [StatusOf] maps them to a status code.
var (
	// ErrMalformed reports a request that cannot be served as sent: a bad
	// envelope, a missing transaction id, an invalid method name (400).
	ErrMalformed = errors.New("command: malformed request")
	// ErrUnknownMethod reports a method no handler is registered for (404).
	ErrUnknownMethod = errors.New("command: unknown method")
	// ErrStale reports a command whose sequence number is not newer than the
	// last one applied for its sender (409).
	ErrStale = errors.New("command: stale sequence number")
	// ErrTIDReused reports a transaction id seen before with another method (409).
	ErrTIDReused = errors.New("command: transaction id reused for another method")
	// ErrPanic reports a handler that panicked (500). The panic value and stack
	// are logged, never returned to the caller.
	ErrPanic = errors.New("command: handler panicked")
	// ErrBusy reports that the concurrency limit is reached (503).
	ErrBusy = errors.New("command: too many commands in progress")
	// ErrServerClosed reports a command received after Shutdown (503).
	ErrServerClosed = errors.New("command: server closed")
	// ErrDeadline reports a command that did not finish before its deadline (504).
	ErrDeadline = errors.New("command: deadline exceeded")
	// ErrInvalidTopic reports a topic that does not follow the expected scheme.
	ErrInvalidTopic = errors.New("command: invalid topic")
	// ErrInvalidMethod reports a method name that cannot travel in a topic.
	ErrInvalidMethod = errors.New("command: invalid method name")
	// ErrInvalidPayload reports a response payload that is not valid JSON (500).
	ErrInvalidPayload = errors.New("command: payload is not valid JSON")
)

// DecodeError describes malformed input: an envelope, a record, a field.
// It matches [ErrMalformed] with errors.Is.
type DecodeError struct {
	Field  string // the offending field ("tid", "seq", ...), or "" for the whole input
	Reason string // what is wrong, for humans
	Err    error  // the underlying error, if any
}

// Error describes the field and what is wrong with it.
func (e *DecodeError) Error() string {
	msg := "command: malformed request"
	if e.Field != "" {
		msg += ": field " + strconv.Quote(e.Field)
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrMalformed.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// TopicError describes a topic or name that does not follow a topic scheme.
// It matches [ErrInvalidTopic] with errors.Is, or [ErrInvalidMethod] when the
// offending part is a method name.
type TopicError struct {
	Topic  string // the topic or name as given
	Reason string
	method bool
}

// Error quotes the topic or name and says what is wrong with it.
func (e *TopicError) Error() string {
	if e.method {
		return fmt.Sprintf("command: invalid method name %q: %s", e.Topic, e.Reason)
	}
	return fmt.Sprintf("command: invalid topic %q: %s", e.Topic, e.Reason)
}

// Is reports whether target is ErrInvalidTopic, or ErrInvalidMethod for a
// method name error.
func (e *TopicError) Is(target error) bool {
	return target == ErrInvalidTopic && !e.method || target == ErrInvalidMethod && e.method
}

// StaleError reports a command rejected by sequence ordering. It matches
// [ErrStale] with errors.Is.
type StaleError struct {
	Sender string
	Seq    uint64 // the sequence number received
	Last   uint64 // the last sequence number applied for Sender
}

// Error names the sender and both sequence numbers.
func (e *StaleError) Error() string {
	return fmt.Sprintf("command: stale sequence number %d from sender %q (last applied %d)", e.Seq, e.Sender, e.Last)
}

// Is reports whether target is ErrStale.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// StatusOf maps an error to the status the Server answers it with:
// ErrMalformed 400, ErrUnknownMethod 404, ErrStale and ErrTIDReused 409,
// ErrBusy, ErrServerClosed and context.Canceled 503, ErrDeadline and
// context.DeadlineExceeded 504, anything else (including ErrPanic) 500.
// A nil error maps to 200.
func StatusOf(err error) int {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrInvalidMethod), errors.Is(err, ErrInvalidTopic):
		return StatusBadRequest
	case errors.Is(err, ErrUnknownMethod):
		return StatusNotFound
	case errors.Is(err, ErrStale), errors.Is(err, ErrTIDReused):
		return StatusConflict
	case errors.Is(err, ErrBusy), errors.Is(err, ErrServerClosed), errors.Is(err, context.Canceled):
		return StatusServiceUnavailable
	case errors.Is(err, ErrDeadline), errors.Is(err, context.DeadlineExceeded):
		return StatusGatewayTimeout
	default:
		return StatusInternalServerError
	}
}

// ErrorResponse is the response for err: status [StatusOf](err) and the
// payload {"error": err.Error()}.
func ErrorResponse(err error) Response {
	return Error(StatusOf(err), err.Error())
}
