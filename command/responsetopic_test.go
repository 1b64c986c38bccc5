package command

import (
	"errors"
	"testing"

	"github.com/tether-iot/tether/mqttx"
)

func TestSchemeResponseFilter(t *testing.T) {
	if got := SchemeCanonical.ResponseFilter(); got != "+/response/#" {
		t.Errorf("canonical = %q", got)
	}
	if got := SchemeCmd.ResponseFilter(); got != "cmd/+/resp" {
		t.Errorf("cmd = %q", got)
	}
}

func TestSchemeParseResponseTopic(t *testing.T) {
	tests := []struct {
		scheme                Scheme
		topic, device, method string
		err                   error
	}{
		{SchemeCanonical, "gw-7/response/sensor/list", "gw-7", "sensor.list", nil},
		{SchemeCanonical, "gw-7/response/reboot", "gw-7", "reboot", nil},
		{SchemeCanonical, "gw-7/response/a.b", "", "", ErrInvalidTopic},
		{SchemeCanonical, "gw-7/response/", "", "", ErrInvalidMethod},
		{SchemeCanonical, "gw-7/request/x", "", "", ErrInvalidTopic},
		{SchemeCanonical, "/response/x", "", "", ErrInvalidTopic},
		{SchemeCanonical, "gw-7", "", "", ErrInvalidTopic},
		{SchemeCanonical, "$gw/response/x", "", "", ErrInvalidTopic}, // "+/response/#" does not match it
		{SchemeCmd, "cmd/gw-7/resp", "gw-7", "", nil},
		{SchemeCmd, "cmd/gw-7/req", "", "", ErrInvalidTopic},
		{SchemeCmd, "cmd//resp", "", "", ErrInvalidTopic},
		{SchemeCmd, "cmd/a/b/resp", "", "", ErrInvalidTopic},
		{SchemeCmd, "gw-7/response/x", "", "", ErrInvalidTopic},
	}
	for _, tt := range tests {
		device, method, err := tt.scheme.ParseResponseTopic(tt.topic)
		if device != tt.device || method != tt.method || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%v.ParseResponseTopic(%q) = %q, %q, %v; want %q, %q, %v", tt.scheme, tt.topic, device, method, err, tt.device, tt.method, tt.err)
		}
	}
}

// What ParseResponseTopic accepts is matched by the scheme's
// ResponseFilter and round-trips through ResponseTopic.
func FuzzSchemeParseResponseTopic(f *testing.F) {
	f.Add(false, "gw-7/response/sensor/list")
	f.Add(true, "cmd/gw-7/resp")
	f.Add(false, "a/response/b.c")
	f.Fuzz(func(t *testing.T, cmd bool, topic string) {
		scheme := SchemeCanonical
		if cmd {
			scheme = SchemeCmd
		}
		device, method, err := scheme.ParseResponseTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) && !errors.Is(err, ErrInvalidMethod) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !mqttx.MatchTopic(scheme.ResponseFilter(), topic) {
			t.Fatalf("%q accepted but not matched by %q", topic, scheme.ResponseFilter())
		}
		back, err := scheme.ResponseTopic(device, method)
		if err != nil || back != topic {
			t.Fatalf("round trip: %q → %q %q → %q, %v", topic, device, method, back, err)
		}
	})
}
