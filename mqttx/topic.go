package mqttx

import (
	"strings"
	"unicode/utf8"
)

// MaxTopicLength is the largest topic name or filter MQTT can encode (a two-byte length prefix).
const MaxTopicLength = 65535

// ValidateTopicName reports whether topic is a valid MQTT 3.1.1 topic name for PUBLISH (§4.7): 1 to
// 65535 bytes of UTF-8 without U+0000 and without the wildcards '+' and '#'. The error is a
// *TopicError matching ErrInvalidTopic.
func ValidateTopicName(topic string) error {
	if plainTopicName(topic) { // the common case, in one pass
		return nil
	}
	if reason := checkString(topic); reason != "" {
		return &TopicError{Topic: topic, Reason: reason}
	}
	if i := strings.IndexAny(topic, "+#"); i >= 0 {
		return &TopicError{Topic: topic, Reason: "wildcard " + string(topic[i]) + " in a topic name"}
	}
	return nil
}

// plainTopicName reports, in one pass, whether topic is a valid topic name
// of ASCII: ValidateTopicName's common case, which then needs none of its
// three passes.
func plainTopicName(topic string) bool {
	if topic == "" || len(topic) > MaxTopicLength {
		return false
	}
	for i := 0; i < len(topic); i++ {
		if c := topic[i]; c == 0 || c >= utf8.RuneSelf || c == '+' || c == '#' {
			return false // let ValidateTopicName decide
		}
	}
	return true
}

// ValidateTopicFilter reports whether filter is a valid MQTT 3.1.1 topic filter for SUBSCRIBE (§4.7):
// the rules of a topic name, except that '+' may occupy a whole level and '#' may occupy the whole last
// level. The error is a *TopicError matching ErrInvalidFilter.
func ValidateTopicFilter(filter string) error {
	if reason := checkString(filter); reason != "" {
		return &TopicError{Topic: filter, Reason: reason, Filter: true}
	}
	rest := filter
	for {
		level, tail, more := strings.Cut(rest, "/")
		switch {
		case level == "#" && more:
			return &TopicError{Topic: filter, Reason: "# must be the last level", Filter: true}
		case level != "#" && strings.Contains(level, "#"):
			return &TopicError{Topic: filter, Reason: "# must occupy a whole level", Filter: true}
		case level != "+" && strings.Contains(level, "+"):
			return &TopicError{Topic: filter, Reason: "+ must occupy a whole level", Filter: true}
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// checkString applies the rules common to topic names and filters and returns why s breaks them.
func checkString(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxTopicLength:
		return "longer than 65535 bytes"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains U+0000"
	}
	return ""
}

// MatchTopic reports whether the topic name matches the topic filter per MQTT 3.1.1 §4.7: '+' matches
// exactly one level (possibly empty), '#' matches any number of levels including the parent level
// ("a/#" matches "a"), and a filter starting with a wildcard does not match topics starting with '$'.
// It does not validate its arguments (see ValidateTopicFilter); empty arguments never match.
func MatchTopic(filter, topic string) bool {
	if filter == "" || topic == "" {
		return false
	}
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	f, t := filter, topic
	for {
		fl, frest, fmore := strings.Cut(f, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(t, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case !fmore && !tmore:
			return true
		case !tmore: // the topic ended; only a trailing "#" matches the parent level
			return frest == "#"
		case !fmore:
			return false
		}
		f, t = frest, trest
	}
}
