package transport_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

func TestValidateTopic(t *testing.T) {
	for _, tc := range []struct {
		topic string
		ok    bool
	}{
		{"events", true},
		{"response/sensor/12/reading", true},
		{"request/sensor/list", true},
		{"a", true},
		{"with space/and-dash_under.score", true},
		{"ünïcödé/温度", true},
		{"a$b", true}, // "$" is only reserved at the start
		{strings.Repeat("x/", 100) + "x", true},

		{"", false},
		{"/", false},
		{"/events", false},
		{"events/", false},
		{"a//b", false},
		{"$aws/things/x", false},
		{"$iothub/twin", false},
		{"request/+", false},
		{"request/#", false},
		{"a+b", false},
		{"a#", false},
		{"+", false},
		{"#", false},
		{"a\x00b", false},
		{"bad\xffutf8", false},
	} {
		err := transport.ValidateTopic(tc.topic)
		if tc.ok && err != nil {
			t.Errorf("ValidateTopic(%q) = %v, want nil", tc.topic, err)
		}
		if !tc.ok && !errors.Is(err, transport.ErrInvalidTopic) {
			t.Errorf("ValidateTopic(%q) = %v, want ErrInvalidTopic", tc.topic, err)
		}
	}
}

func TestValidateFilter(t *testing.T) {
	for _, tc := range []struct {
		filter string
		ok     bool
	}{
		{"request/#", true},
		{"#", true},
		{"+", true},
		{"+/+", true},
		{"request/+/list", true},
		{"request/sensor/+", true},
		{"+/#", true},
		{"events", true},
		{"a/b/c", true},

		{"", false},
		{"request/#/x", false},
		{"#/a", false},
		{"request/a#", false},
		{"request/#a", false},
		{"request/a+", false},
		{"request/+a", false},
		{"++", false},
		{"##", false},
		{"request//#", false},
		{"/request/#", false},
		{"request/", false},
		{"$iothub/#", false},
		{"$share/g/x", false},
		{"a\x00/#", false},
		{"\xc3\x28/#", false},
	} {
		err := transport.ValidateFilter(tc.filter)
		if tc.ok && err != nil {
			t.Errorf("ValidateFilter(%q) = %v, want nil", tc.filter, err)
		}
		if !tc.ok && !errors.Is(err, transport.ErrInvalidTopic) {
			t.Errorf("ValidateFilter(%q) = %v, want ErrInvalidTopic", tc.filter, err)
		}
	}
}

// The error names the offending topic and says whether it was a filter.
func TestValidateTopicErrorMessage(t *testing.T) {
	err := transport.ValidateTopic("a//b")
	if err == nil || !strings.Contains(err.Error(), `topic "a//b"`) || !strings.Contains(err.Error(), "empty segment") {
		t.Errorf("ValidateTopic(a//b) = %v, want the topic and the reason", err)
	}
	err = transport.ValidateFilter("a/#/b")
	if err == nil || !strings.Contains(err.Error(), `filter "a/#/b"`) {
		t.Errorf("ValidateFilter(a/#/b) = %v, want the filter named", err)
	}
}

// checkCanonical checks the properties of ValidateTopic and ValidateFilter
// on any input. It is the fuzz targets' oracle.
func checkCanonical(t *testing.T, s string) {
	topicErr := transport.ValidateTopic(s)
	filterErr := transport.ValidateFilter(s)
	for _, err := range []error{topicErr, filterErr} {
		if err != nil && !errors.Is(err, transport.ErrInvalidTopic) {
			t.Fatalf("%q: error %v does not match ErrInvalidTopic", s, err)
		}
	}
	hasWildcard := strings.ContainsAny(s, "+#")
	if topicErr == nil {
		if filterErr != nil {
			t.Fatalf("%q: a valid topic is an invalid filter: %v", s, filterErr)
		}
		if hasWildcard {
			t.Fatalf("%q: a valid topic has a wildcard", s)
		}
		if !mqttx.MatchTopic(s, s) {
			t.Fatalf("%q: a valid topic does not match itself as a filter", s)
		}
		if len(s) <= mqttx.MaxTopicLength {
			if err := mqttx.ValidateTopicName(s); err != nil {
				t.Fatalf("%q: valid canonical topic, invalid MQTT topic: %v", s, err)
			}
		}
	}
	if !hasWildcard && (topicErr == nil) != (filterErr == nil) {
		t.Fatalf("%q: without wildcards, topic and filter validity differ: %v / %v", s, topicErr, filterErr)
	}
	if filterErr != nil {
		return
	}
	// A valid filter: the shape the clouds need.
	if s == "" || !utf8.ValidString(s) || s[0] == '$' || strings.ContainsRune(s, 0) {
		t.Fatalf("%q: accepted as a filter", s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		switch {
		case seg == "":
			t.Fatalf("%q: empty segment accepted", s)
		case seg == "#" && i != len(segs)-1:
			t.Fatalf("%q: # not last accepted", s)
		case seg != "+" && seg != "#" && strings.ContainsAny(seg, "+#"):
			t.Fatalf("%q: partial-segment wildcard accepted", s)
		}
	}
	if len(s) <= mqttx.MaxTopicLength {
		if err := mqttx.ValidateTopicFilter(s); err != nil {
			t.Fatalf("%q: valid canonical filter, invalid MQTT filter: %v", s, err)
		}
	}
	// Replacing the wildcards by a concrete segment gives a valid topic
	// that the filter matches.
	concrete := make([]string, len(segs))
	for i, seg := range segs {
		if seg == "+" || seg == "#" {
			seg = "x"
		}
		concrete[i] = seg
	}
	topic := strings.Join(concrete, "/")
	if err := transport.ValidateTopic(topic); err != nil {
		t.Fatalf("%q: concrete topic %q invalid: %v", s, topic, err)
	}
	if !mqttx.MatchTopic(s, topic) {
		t.Fatalf("%q does not match its concrete topic %q", s, topic)
	}
}

func FuzzValidateTopic(f *testing.F) {
	for _, s := range []string{"events", "response/sensor/12/reading", "a//b", "$aws/x", "a+b", "", "ü/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) { checkCanonical(t, topic) })
}

func FuzzValidateFilter(f *testing.F) {
	for _, s := range []string{"request/#", "+/+/x", "#", "a/#/b", "a+/b", "/#", "\xff/+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) { checkCanonical(t, filter) })
}
