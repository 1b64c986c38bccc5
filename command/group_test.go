package command

import (
	"errors"
	"testing"
)

func TestGroupTopics(t *testing.T) {
	filter, err := GroupRequestFilter("floor-3")
	if err != nil || filter != "group/floor-3/request/#" {
		t.Fatalf("GroupRequestFilter = %q, %v", filter, err)
	}
	topic, err := GroupRequestTopic("floor-3", "relay.set")
	if err != nil || topic != "group/floor-3/request/relay/set" {
		t.Fatalf("GroupRequestTopic = %q, %v", topic, err)
	}
	for _, bad := range []string{"", "a/b", "+", "#", "a\x00"} {
		if _, err := GroupRequestFilter(bad); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("GroupRequestFilter(%q): %v, want ErrInvalidTopic", bad, err)
		}
		if _, err := GroupRequestTopic(bad, "x"); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("GroupRequestTopic(%q): %v, want ErrInvalidTopic", bad, err)
		}
	}
	if _, err := GroupRequestTopic("g", "a/b"); !errors.Is(err, ErrInvalidMethod) {
		t.Errorf("GroupRequestTopic with a bad method: %v", err)
	}
}

func TestParseGroupRequestTopic(t *testing.T) {
	tests := []struct {
		topic, group, method string
		err                  error
	}{
		{"group/floor-3/request/relay/set", "floor-3", "relay.set", nil},
		{"group/all/request/reboot", "all", "reboot", nil},
		{"group/all/request/a.b", "", "", ErrInvalidTopic},
		{"group/all/request/", "", "", ErrInvalidMethod},
		{"group/all/response/x", "", "", ErrInvalidTopic},
		{"group//request/x", "", "", ErrInvalidTopic},
		{"group/all", "", "", ErrInvalidTopic},
		{"groups/all/request/x", "", "", ErrInvalidTopic},
		{"gw-7/request/x", "", "", ErrInvalidTopic},
	}
	for _, tt := range tests {
		group, method, err := ParseGroupRequestTopic(tt.topic)
		if group != tt.group || method != tt.method || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseGroupRequestTopic(%q) = %q, %q, %v; want %q, %q, %v", tt.topic, group, method, err, tt.group, tt.method, tt.err)
		}
	}
}

// What ParseGroupRequestTopic accepts round-trips through GroupRequestTopic.
func FuzzParseGroupRequestTopic(f *testing.F) {
	f.Add("group/floor-3/request/relay/set")
	f.Add("group/a/request/")
	f.Add("group/a.b/request/x.y")
	f.Fuzz(func(t *testing.T, topic string) {
		group, method, err := ParseGroupRequestTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) && !errors.Is(err, ErrInvalidMethod) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		back, err := GroupRequestTopic(group, method)
		if err != nil || back != topic {
			t.Fatalf("round trip: %q → %q %q → %q, %v", topic, group, method, back, err)
		}
	})
}
