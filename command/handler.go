package command

import (
	"context"
	"encoding/json"
	"time"
)

// Status codes a command response carries. They mirror HTTP, as Azure direct
// methods do; any code from 100 to 599 is allowed.
const (
	StatusOK                  = 200 // done, with a JSON payload
	StatusNoContent           = 204 // done, no payload
	StatusBadRequest          = 400 // malformed request
	StatusNotFound            = 404 // unknown method
	StatusConflict            = 409 // stale sequence number or reused transaction id
	StatusInternalServerError = 500 // the handler failed or panicked
	StatusServiceUnavailable  = 503 // concurrency limit reached or shutting down
	StatusGatewayTimeout      = 504 // the handler did not finish before the deadline
)

// A Handler acts on a command and returns its response.
//
// ServeCommand should honour ctx: it is cancelled at the request's deadline,
// after which the caller has already been answered 504. The Request must not
// be modified or retained after ServeCommand returns.
type Handler interface {
	ServeCommand(ctx context.Context, req *Request) Response
}

// HandlerFunc adapts an ordinary function to a [Handler].
type HandlerFunc func(ctx context.Context, req *Request) Response

// ServeCommand calls f(ctx, req).
func (f HandlerFunc) ServeCommand(ctx context.Context, req *Request) Response { return f(ctx, req) }

// Request is one command received from the application.
type Request struct {
	// Method names the command, e.g. "sensor.list" (see [ValidateMethod]).
	Method string
	// TID is the transaction id chosen by the application; a retry or a
	// redelivery carries the same TID. At most [MaxIDLength] bytes.
	TID string
	// Payload is the command's JSON argument, or nil.
	Payload json.RawMessage
	// Sender identifies the application that sent the command, or "".
	// Deduplication and ordering are scoped by Sender.
	Sender string
	// Seq is the sender's sequence number, or 0 for none. With ordering
	// enabled, a Seq not greater than the last applied from Sender is stale.
	Seq uint64
	// Deadline is when the application stops waiting; zero means the
	// Server's default timeout from arrival. A handler sees the effective
	// deadline, measured by the Server's clock.
	Deadline time.Time
	// NoDedup marks a TID that is only a transport correlation id (Azure's
	// $rid, unique per connection only): the Server neither answers it from
	// nor records it in the deduplication cache. [DecodeMethodPayload] sets
	// it when the payload carries no envelope.
	NoDedup bool
}

// Response is the answer to a command.
type Response struct {
	// Status is an HTTP-style code (see the Status constants). A handler may
	// leave it zero to mean 200.
	Status int
	// Payload is a JSON document, or empty. A response served from the
	// deduplication cache shares its Payload: do not modify it.
	Payload []byte
}

// JSON returns a response with the given status and v encoded as JSON. If v
// cannot be encoded, the response is a 500 describing the failure.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Error(StatusInternalServerError, "command: encoding response: "+err.Error())
	}
	return Response{Status: status, Payload: b}
}

// Error returns a response with the given status and the payload
// {"error": msg}.
func Error(status int, msg string) Response {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg}) // a struct of one string always encodes
	return Response{Status: status, Payload: b}
}
