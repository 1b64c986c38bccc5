package command

import (
	"errors"
	"testing"
)

func TestParseCanonicalRequestTopic(t *testing.T) {
	tests := []struct {
		topic, method string
		err           error
	}{
		{"request/sensor/list", "sensor.list", nil},
		{"request/reboot", "reboot", nil},
		{"request/a/b/c/d", "a.b.c.d", nil},
		{"request/sensor.list", "", ErrInvalidTopic},
		{"request/", "", ErrInvalidMethod},
		{"request/a//b", "", ErrInvalidMethod},
		{"request/a/", "", ErrInvalidMethod},
		{"request", "", ErrInvalidTopic},
		{"response/sensor/list", "", ErrInvalidTopic},
		{"gw-7/request/sensor/list", "", ErrInvalidTopic},
		{"request/a+b", "", ErrInvalidMethod},
	}
	for _, tt := range tests {
		method, err := ParseCanonicalRequestTopic(tt.topic)
		if method != tt.method || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseCanonicalRequestTopic(%q) = %q, %v; want %q, %v", tt.topic, method, err, tt.method, tt.err)
		}
	}
}

func TestCanonicalResponseTopic(t *testing.T) {
	tests := []struct {
		method, topic string
		err           error
	}{
		{"sensor.list", "response/sensor/list", nil},
		{"reboot", "response/reboot", nil},
		{"", "", ErrInvalidMethod},
		{"a..b", "", ErrInvalidMethod},
		{"a/b", "", ErrInvalidMethod},
	}
	for _, tt := range tests {
		topic, err := CanonicalResponseTopic(tt.method)
		if topic != tt.topic || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("CanonicalResponseTopic(%q) = %q, %v; want %q, %v", tt.method, topic, err, tt.topic, tt.err)
		}
	}
}

// An accepted request topic maps to a valid method whose response topic
// mirrors it ("request/x" → "response/x"), which is what Device relies on.
func FuzzParseCanonicalRequestTopic(f *testing.F) {
	f.Add("request/sensor/list")
	f.Add("request/a.b")
	f.Add("request//x")
	f.Fuzz(func(t *testing.T, topic string) {
		method, err := ParseCanonicalRequestTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) && !errors.Is(err, ErrInvalidMethod) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := ValidateMethod(method); err != nil {
			t.Fatalf("accepted an invalid method %q: %v", method, err)
		}
		resp, err := CanonicalResponseTopic(method)
		if err != nil || resp != "response/"+topic[len("request/"):] {
			t.Fatalf("response topic of %q is %q, %v", topic, resp, err)
		}
	})
}
