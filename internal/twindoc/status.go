package twindoc

import (
	"errors"
	"strconv"
)

// Twin response statuses IoT Hub sends on $iothub/twin/res/{status}/.
const (
	StatusOK                 = 200 // GET answered; the payload is the twin
	StatusAccepted           = 202
	StatusNoContent          = 204 // reported patch applied; the topic carries the new $version
	StatusBadRequest         = 400 // malformed JSON or a document that breaks the twin limits
	StatusUnauthorized       = 401
	StatusForbidden          = 403
	StatusNotFound           = 404
	StatusPreconditionFailed = 412
	StatusRequestTooLarge    = 413
	StatusTooManyRequests    = 429 // throttled: retry with backoff
	StatusInternalError      = 500
	StatusServiceUnavailable = 503
	StatusGatewayTimeout     = 504
)

// ErrThrottled matches (errors.Is) a *StatusError with status 429.
var ErrThrottled = errors.New("twindoc: throttled")

// Succeeded reports whether status is a success (2xx).
func Succeeded(status int) bool { return status >= 200 && status <= 299 }

// Retryable reports whether a request that failed with status may be sent
// again after a backoff: 429 (throttled) and every 5xx. azure-sdk-for-c retries
// only 429 and 500; 502, 503 and 504 are transient by definition, so they are
// retried here too. Every other failure (400 bad document, 401/403, 404, 412,
// 413, ...) fails the same way again.
func Retryable(status int) bool {
	return status == StatusTooManyRequests || (status >= 500 && status <= 599)
}

// StatusError is a twin request the hub answered with a failure status.
type StatusError struct {
	Status    int    // HTTP-style status from the response topic
	RequestID string // $rid of the failed request
}

// Error implements error.
func (e *StatusError) Error() string {
	s := "twindoc: twin request " + strconv.Quote(e.RequestID) + " failed with status " + strconv.Itoa(e.Status)
	if e.Retryable() {
		s += " (retryable)"
	}
	return s
}

// Retryable reports whether the request may be sent again after a backoff.
func (e *StatusError) Retryable() bool { return Retryable(e.Status) }

// Is makes errors.Is(err, ErrThrottled) true for status 429.
func (e *StatusError) Is(target error) bool {
	return target == ErrThrottled && e.Status == StatusTooManyRequests
}
