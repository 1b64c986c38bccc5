package mqttxtest

import (
	"strings"
	"unicode/utf8"
)

// validString reports whether s is a valid MQTT UTF-8 string (MQTT 3.1.1 §1.5.3): well-formed UTF-8,
// no U+0000, at most 65535 bytes.
func validString(s string) bool {
	return len(s) <= 65535 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// validTopicName reports whether topic may be published to: a non-empty string without wildcards.
func validTopicName(topic string) bool {
	return topic != "" && validString(topic) && !strings.ContainsAny(topic, "+#")
}

// validTopicFilter reports whether filter may be subscribed to: "+" fills a whole level, "#" fills the
// whole last level.
func validTopicFilter(filter string) bool {
	if filter == "" || !validString(filter) {
		return false
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && len(l) != 1 {
			return false
		}
		if l == "#" && i != len(levels)-1 {
			return false
		}
	}
	return true
}

// matchTopic reports whether topic matches filter (MQTT 3.1.1 §4.7): "+" matches one level, "#" the
// parent level and any number of child levels, and a filter starting with a wildcard matches no topic
// starting with "$". Both arguments are assumed valid.
func matchTopic(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case fmore && tmore:
			filter, topic = frest, trest
		case !fmore && !tmore:
			return true
		case fmore && !tmore:
			// "a/#" matches "a": the parent level.
			return frest == "#"
		default:
			return false
		}
	}
}
