package methodsvc

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	requestPrefix  = "$iothub/methods/POST/"
	responsePrefix = "$iothub/methods/res/"
)

// RequestTopic returns "$iothub/methods/POST/{method}/?$rid={rid}".
func RequestTopic(method, rid string) string {
	return requestPrefix + method + "/?$rid=" + rid
}

// ParseResponseTopic parses "$iothub/methods/res/{status}/?$rid={rid}", the
// topic a device answers on: status is 1 to 9 decimal digits, as the hub
// accepts, and $rid is found among the properties. ok is false for any
// other topic.
func ParseResponseTopic(topic string) (status int, rid string, ok bool) {
	rest, ok := strings.CutPrefix(topic, responsePrefix)
	if !ok {
		return 0, "", false
	}
	code, bag, ok := strings.Cut(rest, "/?")
	if !ok || code == "" || len(code) > 9 || strings.Trim(code, "0123456789") != "" {
		return 0, "", false
	}
	status, err := strconv.Atoi(code)
	if err != nil {
		return 0, "", false
	}
	for bag != "" {
		var prop string
		prop, bag, _ = strings.Cut(bag, "&")
		if v, found := strings.CutPrefix(prop, "$rid="); found {
			if !validLevel(v) {
				return 0, "", false
			}
			return status, v, true
		}
	}
	return 0, "", false
}

// validLevel reports whether s can be one topic level.
func validLevel(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsAny(s, "/+#\x00")
}
