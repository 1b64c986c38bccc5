package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Errors of the application side ([Invoker]).
var (
	// ErrTimeout reports that no device answered in time. Invoke returns it
	// as a *[TimeoutError].
	ErrTimeout = errors.New("command: no response in time")
	// ErrInvokerClosed reports a call on, or interrupted by, a closed Invoker.
	ErrInvokerClosed = errors.New("command: invoker closed")
	// ErrTIDPending reports a TID already used by a call still waiting on
	// the same Invoker.
	ErrTIDPending = errors.New("command: transaction id already pending")
)

// TimeoutError reports a command no answer came for. It matches
// [ErrTimeout] with errors.Is, and its Err with errors.Is as well
// (context.DeadlineExceeded when the caller's ctx ran out). Retrying later
// with [WithTID](TID) is safe: a device that did run the command answers
// from its cache.
type TimeoutError struct {
	Device   string
	Method   string
	TID      string
	Attempts int   // requests published
	Err      error // the last publish error or the context's, if any
}

// Error names the device, the method, the TID and the attempts.
func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("command: no response from %q to %q (tid %s) after %d attempt(s)", e.Device, e.Method, e.TID, e.Attempts)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Unwrap returns Err.
func (e *TimeoutError) Unwrap() error { return e.Err }

// StatusError reports a device's answer with a failure status (400 to 599).
// It matches, with errors.Is, the sentinel of the device-side failure the
// status stands for: 400 [ErrMalformed], 404 [ErrUnknownMethod], 503
// [ErrBusy] (busy or shutting down), 504 [ErrDeadline].
type StatusError struct {
	Device  string
	Method  string
	TID     string
	Status  int
	Message string          // the payload's "error" member, if any
	Payload json.RawMessage // the whole payload
}

// Error names the device, the method, the status and the device's message.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("command: %q answered %q with status %d", e.Device, e.Method, e.Status)
	if e.Message != "" {
		msg += ": " + strconv.Quote(e.Message)
	}
	return msg
}

// Is maps the status to the package's sentinels; see [StatusError].
func (e *StatusError) Is(target error) bool {
	switch e.Status {
	case StatusBadRequest:
		return target == ErrMalformed
	case StatusNotFound:
		return target == ErrUnknownMethod
	case StatusServiceUnavailable:
		return target == ErrBusy
	case StatusGatewayTimeout:
		return target == ErrDeadline
	}
	return false
}

// statusError returns a *StatusError for a failure status, else nil.
func statusError(r *Result) error {
	if r.Status < 400 {
		return nil
	}
	var p struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.Payload, &p) // any payload is allowed; "error" is a convention
	return &StatusError{Device: r.Device, Method: r.Method, TID: r.TID, Status: r.Status, Message: p.Error, Payload: r.Payload}
}
