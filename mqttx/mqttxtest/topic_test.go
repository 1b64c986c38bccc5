package mqttxtest

import (
	"strings"
	"testing"
)

func TestValidTopicName(t *testing.T) {
	tests := []struct {
		topic string
		want  bool
	}{
		{"a", true},
		{"a/b/c", true},
		{"/", true},
		{"a//b", true},
		{"$aws/things/t/shadow/get", true},
		{"devices/d/messages/events/%24.ct=x", true},
		{"", false},
		{"a/+", false},
		{"a/#", false},
		{"a+b", false},
		{"a\x00b", false},
		{"a\xffb", false},
		{strings.Repeat("a", 65535), true},
		{strings.Repeat("a", 65536), false},
	}
	for _, tt := range tests {
		if got := validTopicName(tt.topic); got != tt.want {
			t.Errorf("validTopicName(%.20q) = %t, want %t", tt.topic, got, tt.want)
		}
	}
}

func TestValidTopicFilter(t *testing.T) {
	tests := []struct {
		filter string
		want   bool
	}{
		{"a", true},
		{"#", true},
		{"+", true},
		{"a/#", true},
		{"+/+/#", true},
		{"a/+/b", true},
		{"/+", true},
		{"$iothub/twin/res/#", true},
		{"", false},
		{"a/#/b", false},
		{"a#", false},
		{"a/b#", false},
		{"a+/b", false},
		{"a/+b", false},
		{"##", false},
		{"a\x00", false},
		{"\xc3", false},
	}
	for _, tt := range tests {
		if got := validTopicFilter(tt.filter); got != tt.want {
			t.Errorf("validTopicFilter(%q) = %t, want %t", tt.filter, got, tt.want)
		}
	}
}

// TestMatchTopic checks the broker's routing predicate (mqttx.MatchTopic, "a/#" matching "a").
func TestMatchTopic(t *testing.T) {
	b := &Broker{} // default configuration: MQTT 3.1.1 matching
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"a/+", "a/b", true},
		{"a/+", "a/", true},
		{"a/+", "a", false},
		{"a/+", "a/b/c", false},
		{"+/b", "a/b", true},
		{"+/+", "/", true},
		{"+", "", false}, // not a topic name: never matches (mqttx.MatchTopic)
		{"+", "a", true},
		{"+", "/a", false},
		{"a/#", "a", true}, // the parent level, MQTT 3.1.1 §4.7.1.2
		{"a/#", "a/b", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"a/+/#", "a/b", true},
		{"a/+/#", "a", false},
		{"#", "a/b/c", true},
		{"#", "/", true},
		{"/#", "/a", true},
		{"/#", "a", false},
		// $ topics are not matched by a filter starting with a wildcard (§4.7.2).
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"+", "$", false},
		{"$SYS/#", "$SYS/x", true},
		{"$SYS/+", "$SYS/x", true},
		{"$iothub/twin/res/#", "$iothub/twin/res/200/?$rid=1", true},
		{"devices/d/messages/devicebound/#", "devices/d/messages/devicebound/%24.to=x", true},
		{"a/$b", "a/$b", true},
		{"a/+", "a/$b", true},
	}
	for _, tt := range tests {
		if got := b.matches(tt.filter, tt.topic); got != tt.want {
			t.Errorf("MatchTopic(%q, %q) = %t, want %t", tt.filter, tt.topic, got, tt.want)
		}
	}
}

// FuzzMatchTopic checks the matcher's invariants on valid inputs: a topic matches itself and "#" unless
// it starts with "$", and matching agrees with a level-by-level reference implementation.
func FuzzMatchTopic(f *testing.F) {
	f.Add("a/+/#", "a/b/c")
	f.Add("#", "$SYS/x")
	f.Add("a/#", "a")
	f.Add("+/+", "/")
	b := &Broker{}
	f.Fuzz(func(t *testing.T, filter, topic string) {
		if validTopicName(topic) {
			if !b.matches(topic, topic) {
				t.Fatalf("%q does not match itself", topic)
			}
			if got, want := b.matches("#", topic), !strings.HasPrefix(topic, "$"); got != want {
				t.Fatalf("MatchTopic(#, %q) = %t", topic, got)
			}
		}
		if !validTopicFilter(filter) || !validTopicName(topic) {
			return
		}
		if got, want := b.matches(filter, topic), referenceMatch(filter, topic); got != want {
			t.Fatalf("MatchTopic(%q, %q) = %t, reference %t", filter, topic, got, want)
		}
	})
}

// referenceMatch is the specification's matching written the obvious way.
func referenceMatch(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	fl, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) {
			return false
		}
		if f != "+" && f != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}
