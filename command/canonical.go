package command

import "strings"

// Device-relative command topics, as a [Device] sees them through a
// transport on AWS IoT Core or a plain broker (PROTOCOLS.md §3): the adapter
// adds and removes the "{device}/" prefix.
const (
	// CanonicalRequestFilter is the canonical filter a Device handles.
	CanonicalRequestFilter = "request/#"

	canonicalRequestPrefix  = "request/"
	canonicalResponsePrefix = "response/"
)

// ParseCanonicalRequestTopic returns the method a device-relative request
// topic names: "request/sensor/list" → "sensor.list". The error matches
// [ErrInvalidTopic] or [ErrInvalidMethod].
func ParseCanonicalRequestTopic(topic string) (method string, err error) {
	tail, ok := strings.CutPrefix(topic, canonicalRequestPrefix)
	if !ok {
		return "", &TopicError{Topic: topic, Reason: "not under " + canonicalRequestPrefix}
	}
	return methodFromLevels(topic, tail)
}

// CanonicalResponseTopic returns the device-relative topic the response to
// method is sent on: "sensor.list" → "response/sensor/list".
func CanonicalResponseTopic(method string) (string, error) {
	if err := ValidateMethod(method); err != nil {
		return "", err
	}
	return canonicalResponsePrefix + strings.ReplaceAll(method, ".", "/"), nil
}

// methodFromLevels maps the topic levels "a/b" of a method to "a.b". topic
// is the whole topic, for errors.
func methodFromLevels(topic, levels string) (string, error) {
	if strings.Contains(levels, ".") {
		// "a.b" and "a/b" would both map to method "a.b".
		return "", &TopicError{Topic: topic, Reason: "'.' in a method level"}
	}
	method := strings.ReplaceAll(levels, "/", ".")
	if err := ValidateMethod(method); err != nil {
		return "", err
	}
	return method, nil
}
