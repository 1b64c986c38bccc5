package twindoc

import (
	"errors"
	"fmt"
	"testing"
)

func TestStatusClasses(t *testing.T) {
	tests := []struct {
		status               int
		succeeded, retryable bool
	}{
		{200, true, false},
		{202, true, false},
		{204, true, false},
		{299, true, false},
		{199, false, false},
		{300, false, false},
		{400, false, false},
		{401, false, false},
		{403, false, false},
		{404, false, false},
		{412, false, false},
		{413, false, false},
		{428, false, false},
		{429, false, true},
		{430, false, false},
		{499, false, false},
		{500, false, true},
		{502, false, true},
		{503, false, true},
		{504, false, true},
		{599, false, true},
		{600, false, false},
	}
	for _, tt := range tests {
		if got := Succeeded(tt.status); got != tt.succeeded {
			t.Errorf("Succeeded(%d) = %v, want %v", tt.status, got, tt.succeeded)
		}
		if got := Retryable(tt.status); got != tt.retryable {
			t.Errorf("Retryable(%d) = %v, want %v", tt.status, got, tt.retryable)
		}
	}
}

func TestResponseErr(t *testing.T) {
	if err := (Response{Status: 204, RequestID: "1"}).Err(); err != nil {
		t.Fatalf("Err(204) = %v", err)
	}
	err := fmt.Errorf("twin: update: %w", Response{Status: 429, RequestID: "r7"}.Err())
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 429 || se.RequestID != "r7" || !se.Retryable() {
		t.Fatalf("Err(429) = %v, want a retryable *StatusError for r7", err)
	}
	if !errors.Is(err, ErrThrottled) {
		t.Fatal("errors.Is(429, ErrThrottled) = false")
	}
	if want := `twin: update: twindoc: twin request "r7" failed with status 429 (retryable)`; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	bad := Response{Status: 400, RequestID: "r8"}.Err()
	if !errors.As(bad, &se) || se.Retryable() || errors.Is(bad, ErrThrottled) {
		t.Fatalf("Err(400) = %v, want a non-retryable, non-throttled *StatusError", bad)
	}
	if want := `twindoc: twin request "r8" failed with status 400`; bad.Error() != want {
		t.Fatalf("Error() = %q, want %q", bad.Error(), want)
	}
}

func TestRequestKindString(t *testing.T) {
	for k, want := range map[RequestKind]string{RequestGet: "GET", RequestPatchReported: "PATCH reported", 7: "RequestKind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
