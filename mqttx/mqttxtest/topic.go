package mqttxtest

import (
	"strings"
	"unicode/utf8"

	"github.com/tether-iot/tether/mqttx"
)

// validString reports whether s is a valid MQTT UTF-8 string (MQTT 3.1.1 §1.5.3): well-formed UTF-8,
// no U+0000, at most 65535 bytes.
func validString(s string) bool {
	return len(s) <= 65535 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// validTopicName reports whether topic may be published to (mqttx.ValidateTopicName).
func validTopicName(topic string) bool { return mqttx.ValidateTopicName(topic) == nil }

// validTopicFilter reports whether filter may be subscribed to (mqttx.ValidateTopicFilter).
func validTopicFilter(filter string) bool { return mqttx.ValidateTopicFilter(filter) == nil }
