package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
)

func TestJSON(t *testing.T) {
	r := JSON(StatusOK, map[string]int{"n": 1})
	if r.Status != StatusOK || string(r.Payload) != `{"n":1}` {
		t.Fatalf("JSON = %d %s", r.Status, r.Payload)
	}
	bad := JSON(StatusOK, make(chan int))
	if bad.Status != StatusInternalServerError || !json.Valid(bad.Payload) {
		t.Fatalf("JSON(unencodable) = %d %s, want a 500 with a JSON error", bad.Status, bad.Payload)
	}
}

func TestError(t *testing.T) {
	r := Error(StatusConflict, `say "hi"`)
	if r.Status != StatusConflict || string(r.Payload) != `{"error":"say \"hi\""}` {
		t.Fatalf("Error = %d %s", r.Status, r.Payload)
	}
}

func TestHandlerFunc(t *testing.T) {
	var h Handler = HandlerFunc(func(ctx context.Context, req *Request) Response {
		return Response{Status: StatusNoContent}
	})
	if got := h.ServeCommand(context.Background(), &Request{}); got.Status != StatusNoContent {
		t.Fatalf("status = %d", got.Status)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{ErrMalformed, 400},
		{&DecodeError{Field: "tid", Reason: "empty"}, 400},
		{ValidateMethod("a/b"), 400},
		{&TopicError{Topic: "x", Reason: "y"}, 400},
		{fmt.Errorf("%w %q", ErrUnknownMethod, "m"), 404},
		{&StaleError{Sender: "a", Seq: 1, Last: 2}, 409},
		{ErrTIDReused, 409},
		{ErrPanic, 500},
		{ErrInvalidPayload, 500},
		{errors.New("other"), 500},
		{ErrBusy, 503},
		{ErrServerClosed, 503},
		{context.Canceled, 503},
		{ErrDeadline, 504},
		{context.DeadlineExceeded, 504},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorsIsAs(t *testing.T) {
	inner := errors.New("boom")
	var err error = fmt.Errorf("wrapped: %w", &DecodeError{Field: "seq", Reason: "bad", Err: inner})
	var de *DecodeError
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, inner) || !errors.As(err, &de) || de.Field != "seq" {
		t.Fatalf("DecodeError does not match: %v", err)
	}
	err = &StaleError{Sender: "s", Seq: 1, Last: 3}
	var se *StaleError
	if !errors.Is(err, ErrStale) || !errors.As(err, &se) || se.Last != 3 {
		t.Fatalf("StaleError does not match: %v", err)
	}
	merr := ValidateMethod("")
	if !errors.Is(merr, ErrInvalidMethod) || errors.Is(merr, ErrInvalidTopic) {
		t.Fatalf("method error matches wrongly: %v", merr)
	}
	_, terr := SchemeCanonical.ParseRequestTopic("d", "x/y")
	if !errors.Is(terr, ErrInvalidTopic) || errors.Is(terr, ErrInvalidMethod) {
		t.Fatalf("topic error matches wrongly: %v", terr)
	}
	if !errors.Is(errStoreClosed, os.ErrClosed) {
		t.Fatal("errStoreClosed does not match os.ErrClosed")
	}
	for _, e := range []error{ErrMalformed, ErrUnknownMethod, ErrStale, ErrTIDReused, ErrPanic, ErrBusy,
		ErrServerClosed, ErrDeadline, ErrInvalidTopic, ErrInvalidMethod, ErrInvalidPayload, merr, terr, err, de, errStoreClosed} {
		if msg := e.Error(); len(msg) < 9 || msg[:9] != "command: " {
			t.Errorf("error %q lacks the \"command: \" prefix", msg)
		}
	}
}
