package awsiottest

import "strings"

// mqttMatch reports whether topic matches filter under MQTT 3.1.1 (§4.7),
// as the broker routes: "#" also matches the parent level, and a filter
// starting with a wildcard matches no topic starting with "$".
func mqttMatch(filter, topic string) bool {
	return match(filter, topic, true)
}

// awsMatch is AWS IoT Core's matching: like mqttMatch, except that "#"
// does not match the parent level ("a/#" does not match "a").
func awsMatch(filter, topic string) bool {
	return match(filter, topic, false)
}

func match(filter, topic string, parent bool) bool {
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
		case fmore:
			return parent && frest == "#"
		default:
			return false
		}
	}
}

// hasWildcard reports whether filter has a wildcard level.
func hasWildcard(filter string) bool { return strings.ContainsAny(filter, "+#") }
