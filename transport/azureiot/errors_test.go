package azureiot

import (
	"errors"
	"testing"
)

func TestErrorMessages(t *testing.T) {
	bagErr := &PropertyError{Offset: 3, Reason: "malformed percent escape in value"}
	tests := []struct {
		err      error
		want     string
		sentinel error
	}{
		{&ConnectionStringError{Reason: "empty"}, "azureiot: invalid connection string: empty", ErrInvalidConnectionString},
		{&ConnectionStringError{Field: "HostName", Reason: "missing"}, "azureiot: invalid connection string: HostName: missing", ErrInvalidConnectionString},
		{&IDError{Field: "DeviceId", Reason: "empty"}, "azureiot: invalid DeviceId: empty", ErrInvalidID},
		{bagErr, "azureiot: invalid property bag at byte 3: malformed percent escape in value", ErrInvalidPropertyBag},
		{&PropertyError{Name: "$.mid", Offset: -1, Reason: "not ASCII"}, `azureiot: invalid property "$.mid": not ASCII`, ErrInvalidPropertyBag},
		{&PropertyError{Offset: -1, Reason: "empty name"}, "azureiot: invalid property: empty name", ErrInvalidPropertyBag},
		{&TopicError{Topic: "a.b", Reason: "bad"}, `azureiot: invalid topic "a.b": bad`, ErrInvalidTopic},
		{&TopicError{Topic: "t", Reason: "malformed property bag", Err: bagErr},
			`azureiot: invalid topic "t": malformed property bag: azureiot: invalid property bag at byte 3: malformed percent escape in value`, ErrInvalidPropertyBag},
		{&MessageSizeError{Size: 262145, Limit: 262144}, "azureiot: message too large: 262145 bytes, limit 262144", ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.sentinel) {
			t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.sentinel)
		}
		if errors.Is(tt.err, ErrClockNotSet) {
			t.Errorf("errors.Is(%v, ErrClockNotSet) = true", tt.err)
		}
	}
}
