package awsiot

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// AWS IoT Core message broker limits (the defaults the official SDKs
// enforce client side in their "AWS IoT Core defaults" mode). The broker
// answers most violations by closing the connection without a reason, so
// tether checks them before sending.
const (
	// MaxTopicLength is the maximum length of a topic or filter in bytes of
	// UTF-8, not counting a Basic Ingest prefix "$aws/rules/{rule}/" (nor
	// a shared subscription prefix "$share/{group}/" in a filter).
	MaxTopicLength = 256
	// MaxTopicSlashes is the maximum number of "/" in a topic or filter
	// (8 levels), not counting the same prefixes. Older AWS pages said 8.
	MaxTopicSlashes = 7
	// MaxPayloadSize is the largest payload in bytes: 131072 is accepted,
	// 131073 is rejected and the connection dropped.
	MaxPayloadSize = 128 * 1024
	// MaxQoS is the highest QoS AWS IoT Core supports. QoS 2 is not
	// acknowledged at all, and a QoS 2 Will closes the connection.
	MaxQoS = 1
	// MaxClientIDLength is the maximum client ID length in bytes of UTF-8.
	MaxClientIDLength = 128
	// MaxFiltersPerSubscribe is the maximum number of filters in one
	// SUBSCRIBE packet.
	MaxFiltersPerSubscribe = 8
	// MaxSubscriptions is the maximum number of subscriptions on one
	// connection; beyond it AWS may reject them and close the connection.
	MaxSubscriptions = 50
	// MaxInFlight is the maximum number of unacknowledged QoS 1 publishes
	// in each direction.
	MaxInFlight = 100
	// MaxThingNameLength is the maximum thing name length in bytes.
	MaxThingNameLength = 128

	// DefaultPublishRate is the publish rate per connection, inbound and
	// outbound together, per second; AWS discards the excess (the
	// connection stays).
	DefaultPublishRate = 100
	// DefaultByteRate is the throughput per connection in bytes per
	// second; AWS delays the excess.
	DefaultByteRate = 512 * 1024
	// MaxConnectsPerSecond is the CONNECT rate AWS accepts per client ID.
	MaxConnectsPerSecond = 1

	// MinKeepAlive and MaxKeepAlive bound the keepalive AWS IoT Core
	// honours (see ClampKeepAlive). The server disconnects a client silent
	// for 1.5 times the keepalive.
	MinKeepAlive = 30 * time.Second
	MaxKeepAlive = 1200 * time.Second
)

// maxMQTTString is the longest string MQTT 3.1.1 can encode (2-byte length).
const maxMQTTString = math.MaxUint16

// ValidateTopic checks a topic name for a PUBLISH: non-empty UTF-8 without
// NUL or wildcards, at most MaxTopicLength bytes and MaxTopicSlashes
// slashes after any Basic Ingest prefix "$aws/rules/{rule}/". Format
// problems wrap ErrInvalidTopic; limits are *LimitError with Kind
// ErrTopicTooLong or ErrTooManySlashes.
func ValidateTopic(topic string) error {
	if err := validateMQTTString(topic, "topic"); err != nil {
		return err
	}
	if strings.ContainsAny(topic, "+#") {
		return fmt.Errorf("%w: wildcard in a topic name", ErrInvalidTopic)
	}
	return checkTopicLimits(topic, skipRulesPrefix(topic))
}

// ValidateFilter checks a topic filter for a SUBSCRIBE: non-empty UTF-8
// without NUL, "+" only as a whole level, "#" only as the whole last level,
// and the limits of ValidateTopic after any shared subscription prefix
// "$share/{group}/" and Basic Ingest prefix.
func ValidateFilter(filter string) error {
	if err := validateMQTTString(filter, "filter"); err != nil {
		return err
	}
	rest := filter
	for {
		level, tail, more := strings.Cut(rest, "/")
		if strings.ContainsAny(level, "+#") {
			if level != "+" && level != "#" {
				return fmt.Errorf("%w: a wildcard must be a whole level", ErrInvalidTopic)
			}
			if level == "#" && more {
				return fmt.Errorf(`%w: "#" must be the last level`, ErrInvalidTopic)
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	return checkTopicLimits(filter, skipRulesPrefix(skipSharePrefix(filter)))
}

// validateMQTTString applies MQTT 3.1.1's rules for topic strings: at
// least one byte, well-formed UTF-8, no U+0000.
func validateMQTTString(s, what string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidTopic, what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidTopic, what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: %s contains NUL", ErrInvalidTopic, what)
	}
	return nil
}

// checkTopicLimits checks the whole topic against MQTT's string limit and
// its counted part against AWS's length and depth limits.
func checkTopicLimits(whole, counted string) error {
	if len(whole) > maxMQTTString {
		return &LimitError{Kind: ErrTopicTooLong, Limit: "topic length", Value: len(whole), Max: maxMQTTString}
	}
	if len(counted) > MaxTopicLength {
		return &LimitError{Kind: ErrTopicTooLong, Limit: "topic length", Value: len(counted), Max: MaxTopicLength}
	}
	if n := strings.Count(counted, "/"); n > MaxTopicSlashes {
		return &LimitError{Kind: ErrTooManySlashes, Limit: "topic slashes", Value: n, Max: MaxTopicSlashes}
	}
	return nil
}

// skipRulesPrefix returns topic without a leading "$aws/rules/{rule}/"
// (ASCII case-insensitive, as in aws-c-mqtt). Unlike aws-c-mqtt it skips
// nothing when the rule name is empty: counting more is the safe side.
func skipRulesPrefix(topic string) string {
	const p = "$aws/rules/"
	if len(topic) < len(p) || !asciiEqualFold(topic[:len(p)], p) {
		return topic
	}
	rule, rest, found := strings.Cut(topic[len(p):], "/")
	if !found || rule == "" {
		return topic
	}
	return rest
}

// skipSharePrefix returns filter without a leading "$share/{group}/" when
// the group is non-empty without wildcards and a filter follows.
func skipSharePrefix(filter string) string {
	const p = "$share/"
	if len(filter) < len(p) || !asciiEqualFold(filter[:len(p)], p) {
		return filter
	}
	group, rest, found := strings.Cut(filter[len(p):], "/")
	if !found || group == "" || strings.ContainsAny(group, "+#") || rest == "" {
		return filter
	}
	return rest
}

// asciiEqualFold compares s and ascii ignoring the case of ASCII letters
// only (strings.EqualFold would also fold "ſ" to "s").
func asciiEqualFold(s, ascii string) bool {
	if len(s) != len(ascii) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], ascii[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// ValidatePayloadSize checks a payload length against MaxPayloadSize.
func ValidatePayloadSize(n int) error {
	if n > MaxPayloadSize {
		return &LimitError{Kind: ErrPayloadTooLarge, Limit: "payload size", Value: n, Max: MaxPayloadSize}
	}
	return nil
}

// ValidateQoS checks that qos is 0 or 1.
func ValidateQoS(qos byte) error {
	if qos > MaxQoS {
		return &LimitError{Kind: ErrQoSNotSupported, Limit: "QoS", Value: int(qos), Max: MaxQoS}
	}
	return nil
}

// ValidatePublish checks everything AWS IoT Core checks of a PUBLISH the
// device sends: the topic, the QoS and the payload size, in that order.
func ValidatePublish(topic string, payload []byte, qos byte) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	if err := ValidateQoS(qos); err != nil {
		return err
	}
	return ValidatePayloadSize(len(payload))
}

// ValidateSubscribe checks the filters of one SUBSCRIBE packet: at least
// one, at most MaxFiltersPerSubscribe (Kind ErrTooManyFilters), each valid
// for ValidateFilter. Batch larger sets into several packets.
func ValidateSubscribe(filters []string) error {
	if len(filters) == 0 {
		return fmt.Errorf("%w: SUBSCRIBE without filters", ErrInvalidTopic)
	}
	if len(filters) > MaxFiltersPerSubscribe {
		return &LimitError{Kind: ErrTooManyFilters, Limit: "filters per SUBSCRIBE", Value: len(filters), Max: MaxFiltersPerSubscribe}
	}
	for _, f := range filters {
		if err := ValidateFilter(f); err != nil {
			return err
		}
	}
	return nil
}

// ValidateSubscriptionCount checks the number of subscriptions a
// connection would hold against MaxSubscriptions.
func ValidateSubscriptionCount(n int) error {
	if n > MaxSubscriptions {
		return &LimitError{Kind: ErrTooManySubscriptions, Limit: "subscriptions", Value: n, Max: MaxSubscriptions}
	}
	return nil
}

// ValidateClientID checks an MQTT client ID: non-empty (tether needs a
// stable identity for sessions and policies), well-formed UTF-8 without
// NUL, at most MaxClientIDLength bytes, not starting with "$" (reserved).
// Every error matches ErrInvalidClientID; the length is a *LimitError.
// Errors do not repeat the ID.
func ValidateClientID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidClientID)
	case len(id) > MaxClientIDLength:
		return &LimitError{Kind: ErrInvalidClientID, Limit: "client ID length", Value: len(id), Max: MaxClientIDLength}
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidClientID)
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: contains NUL", ErrInvalidClientID)
	case id[0] == '$':
		return fmt.Errorf("%w: starts with $ (reserved)", ErrInvalidClientID)
	}
	return nil
}

// ValidateThingName checks a thing name: 1 to MaxThingNameLength bytes of
// [a-zA-Z0-9:_-]. Every error matches ErrInvalidThingName; the length is a
// *LimitError.
func ValidateThingName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidThingName)
	}
	if len(name) > MaxThingNameLength {
		return &LimitError{Kind: ErrInvalidThingName, Limit: "thing name length", Value: len(name), Max: MaxThingNameLength}
	}
	for i := 0; i < len(name); i++ {
		if !isThingNameByte(name[i]) {
			return fmt.Errorf("%w: byte %d is not one of [a-zA-Z0-9:_-]", ErrInvalidThingName, i)
		}
	}
	return nil
}

func isThingNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == ':' || c == '_' || c == '-'
}

// ClampKeepAlive returns the keepalive AWS IoT Core applies when a CONNECT
// asks for d. MQTT carries whole seconds, so d is first truncated to
// seconds; then 0 (MQTT's "no keepalive"), negative values and values over
// MaxKeepAlive become MaxKeepAlive (1200 s), and values under MinKeepAlive
// become MinKeepAlive (30 s). Send the clamped value so that the client's
// pings match the server's timeout (1.5 times the keepalive).
func ClampKeepAlive(d time.Duration) time.Duration {
	s := d / time.Second
	switch {
	case s <= 0 || s > MaxKeepAlive/time.Second:
		return MaxKeepAlive
	case s < MinKeepAlive/time.Second:
		return MinKeepAlive
	}
	return s * time.Second
}

// ValidateKeepAlive reports, as a *LimitError with Kind
// ErrKeepAliveOutOfRange, a keepalive (truncated to whole seconds) that
// AWS IoT Core would not honour as is: outside [MinKeepAlive, MaxKeepAlive],
// including 0.
func ValidateKeepAlive(d time.Duration) error {
	s := int64(d / time.Second)
	if s < int64(MinKeepAlive/time.Second) || s > int64(MaxKeepAlive/time.Second) {
		return &LimitError{
			Kind:  ErrKeepAliveOutOfRange,
			Limit: "keepalive seconds",
			Value: saturateInt(s),
			Min:   int(MinKeepAlive / time.Second),
			Max:   int(MaxKeepAlive / time.Second),
		}
	}
	return nil
}

// saturateInt converts v to int, saturating where int is 32 bits.
func saturateInt(v int64) int {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int(v)
}
