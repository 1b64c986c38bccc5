package mqttx

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateTopicName(t *testing.T) {
	tests := []struct {
		topic string
		ok    bool
	}{
		{"a", true},
		{"a/b/c", true},
		{"/", true},
		{"a//b", true},
		{"$SYS/x", true},
		{"devices/d1/messages/events/a=1&b=2", true},
		{"ünïcödé/✓", true},
		{strings.Repeat("a", 65535), true},
		{"", false},
		{strings.Repeat("a", 65536), false},
		{"a/+/b", false},
		{"a/#", false},
		{"a+", false},
		{"a\x00b", false},
		{"bad\xffutf8", false},
	}
	for _, tt := range tests {
		err := ValidateTopicName(tt.topic)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTopicName(%.40q) = %v, want ok=%v", tt.topic, err, tt.ok)
			continue
		}
		if err != nil {
			var te *TopicError
			if !errors.As(err, &te) || te.Filter || !errors.Is(err, ErrInvalidTopic) || errors.Is(err, ErrInvalidFilter) {
				t.Errorf("ValidateTopicName(%.40q) error %v: want *TopicError matching only ErrInvalidTopic", tt.topic, err)
			}
		}
	}
}

func TestValidateTopicFilter(t *testing.T) {
	tests := []struct {
		filter string
		ok     bool
	}{
		{"a", true},
		{"#", true},
		{"+", true},
		{"a/#", true},
		{"a/+/b", true},
		{"+/+/+", true},
		{"/#", true},
		{"+/#", true},
		{"a//+", true},
		{"$SYS/#", true},
		{"$iothub/twin/res/#", true},
		{"", false},
		{"a#", false},
		{"a/#/b", false},
		{"#/", false},
		{"a/b#", false},
		{"a+/b", false},
		{"a/+b", false},
		{"++", false},
		{"##", false},
		{"a\x00", false},
		{"\xc3", false},
		{strings.Repeat("+/", 32767) + "#", true}, // 65535 bytes
		{strings.Repeat("a", 65536), false},
	}
	for _, tt := range tests {
		err := ValidateTopicFilter(tt.filter)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTopicFilter(%.40q) = %v, want ok=%v", tt.filter, err, tt.ok)
			continue
		}
		if err != nil {
			var te *TopicError
			if !errors.As(err, &te) || !te.Filter || !errors.Is(err, ErrInvalidFilter) || errors.Is(err, ErrInvalidTopic) {
				t.Errorf("ValidateTopicFilter(%.40q) error %v: want *TopicError matching only ErrInvalidFilter", tt.filter, err)
			}
		}
	}
}

func TestMatchTopic(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"#", "a", true},
		{"#", "a/b/c", true},
		{"#", "/", true},
		{"a/#", "a", true}, // §4.7.1.2: "#" also matches the parent level
		{"a/#", "a/", true},
		{"a/#", "a/b/c", true},
		{"a/#", "b/c", false},
		{"a/#", "ab", false},
		{"+", "a", true},
		{"+", "a/b", false},
		{"+", "/", false},
		{"+/+", "/", true},
		{"/+", "/a", true},
		{"a/+", "a/", true}, // + matches an empty level
		{"a/+", "a", false},
		{"a/+/c", "a/b/c", true},
		{"a/+/c", "a/b/d", false},
		{"+/b/#", "a/b", true},
		{"sport/tennis/+", "sport/tennis/player1", true},
		{"sport/+", "sport", false},
		{"#", "$SYS/x", false}, // §4.7.2: wildcard-first filters do not match $ topics
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"$SYS/+", "$SYS/x", true},
		{"a/$x", "a/$x", true},
		{"+/$x", "a/$x", true},
		{"", "a", false},
		{"a", "", false},
		{"A", "a", false},
	}
	for _, tt := range tests {
		if got := MatchTopic(tt.filter, tt.topic); got != tt.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

func TestErrorTypes(t *testing.T) {
	for code := byte(1); code <= 5; code++ {
		err := error(&ConnectError{Code: code})
		if !errors.Is(err, ErrConnectionRefused) || !errors.Is(err, connackSentinels[code]) {
			t.Errorf("code %d: %v does not match its sentinels", code, err)
		}
		for other := byte(1); other <= 5; other++ {
			if other != code && errors.Is(err, connackSentinels[other]) {
				t.Errorf("code %d matches the sentinel of code %d", code, other)
			}
		}
		wantPermanent := code != ConnServerUnavailable
		if got := (&ConnectError{Code: code}).Permanent(); got != wantPermanent {
			t.Errorf("code %d: Permanent() = %v, want %v", code, got, wantPermanent)
		}
	}
	unknown := &ConnectError{Code: 42}
	if !errors.Is(unknown, ErrConnectionRefused) || unknown.Permanent() || !strings.Contains(unknown.Error(), "42") {
		t.Errorf("unknown code: %v, Permanent=%v", unknown, unknown.Permanent())
	}
	se := error(&SubscribeError{Filter: "a/#", Code: 0x80})
	if !errors.Is(se, ErrSubscriptionRefused) || !strings.Contains(se.Error(), "0x80") || !strings.HasPrefix(se.Error(), "mqttx: ") {
		t.Errorf("SubscribeError: %v", se)
	}
	if s := (&TopicError{Topic: strings.Repeat("x", 500), Reason: "r"}).Error(); len(s) > 200 {
		t.Errorf("TopicError message not truncated: %d bytes", len(s))
	}
	if got := EventSlowConsumer.String(); got != "slow consumer" {
		t.Errorf("EventSlowConsumer.String() = %q", got)
	}
	if got := EventKind(99).String(); got != "EventKind(99)" {
		t.Errorf("EventKind(99).String() = %q", got)
	}
}

// matchReference is a straightforward level-by-level reference matcher for the fuzz targets.
func matchReference(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, level := range f {
		if level == "#" {
			return true
		}
		if i >= len(tl) {
			return false
		}
		if level != "+" && level != tl[i] {
			return false
		}
	}
	return len(f) == len(tl)
}

func FuzzValidateTopicFilter(f *testing.F) {
	for _, s := range []string{"a/#", "+/+", "a#", "#/a", "", "a/+b", "$SYS/#", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		err := ValidateTopicFilter(filter)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error %v does not match ErrInvalidFilter", err)
			}
			return
		}
		// Invariants of every valid filter.
		if filter == "" || len(filter) > MaxTopicLength || !utf8.ValidString(filter) || strings.ContainsRune(filter, 0) {
			t.Fatalf("accepted %q", filter)
		}
		levels := strings.Split(filter, "/")
		for i, l := range levels {
			if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
				t.Fatalf("accepted misplaced # in %q", filter)
			}
			if strings.Contains(l, "+") && l != "+" {
				t.Fatalf("accepted misplaced + in %q", filter)
			}
		}
		// A valid filter without wildcards is a valid topic name that it matches.
		if !strings.ContainsAny(filter, "+#") {
			if err := ValidateTopicName(filter); err != nil {
				t.Fatalf("wildcard-free filter %q is not a valid name: %v", filter, err)
			}
			if !MatchTopic(filter, filter) {
				t.Fatalf("%q does not match itself", filter)
			}
		}
	})
}

func FuzzValidateTopicName(f *testing.F) {
	for _, s := range []string{"a/b", "a/+", "#", "", "$aws/things/x/shadow/get", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		err := ValidateTopicName(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("error %v does not match ErrInvalidTopic", err)
			}
			return
		}
		if strings.ContainsAny(topic, "+#") || topic == "" || !utf8.ValidString(topic) || strings.ContainsRune(topic, 0) {
			t.Fatalf("accepted %q", topic)
		}
		if ValidateTopicFilter(topic) != nil {
			t.Fatalf("valid name %q is not a valid filter", topic)
		}
		if !MatchTopic(topic, topic) {
			t.Fatalf("%q does not match itself", topic)
		}
		if !strings.HasPrefix(topic, "$") && !MatchTopic("#", topic) {
			t.Fatalf("# does not match %q", topic)
		}
	})
}

func FuzzMatchTopic(f *testing.F) {
	f.Add("a/+/c", "a/b/c")
	f.Add("a/#", "a")
	f.Add("#", "$SYS/x")
	f.Add("+/+", "/")
	f.Fuzz(func(t *testing.T, filter, topic string) {
		got := MatchTopic(filter, topic) // must not panic on any input
		if ValidateTopicFilter(filter) != nil || ValidateTopicName(topic) != nil {
			return
		}
		if want := matchReference(filter, topic); got != want {
			t.Fatalf("MatchTopic(%q, %q) = %v, reference says %v", filter, topic, got, want)
		}
	})
}
