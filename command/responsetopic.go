package command

import "strings"

// ResponseFilter returns the one filter that receives the responses of
// every device on the scheme: "+/response/#" (canonical) or "cmd/+/resp".
// An [Invoker] subscribes to it once, whatever the number of devices it
// talks to: AWS IoT Core allows 50 subscriptions per connection.
func (s Scheme) ResponseFilter() string {
	if s == SchemeCmd {
		return "cmd/+/resp"
	}
	return "+/" + canonicalResponsePrefix + "#"
}

// ParseResponseTopic returns the device a response topic comes from and,
// on the canonical scheme, the method it answers ("" on SchemeCmd, whose
// responses do not name it). The error matches [ErrInvalidTopic] or
// [ErrInvalidMethod].
func (s Scheme) ParseResponseTopic(topic string) (device, method string, err error) {
	if s == SchemeCmd {
		rest, ok := strings.CutPrefix(topic, "cmd/")
		if ok {
			device, ok = strings.CutSuffix(rest, "/resp")
		}
		if !ok || !validLevel(device) {
			return "", "", &TopicError{Topic: topic, Reason: "want cmd/{device}/resp"}
		}
		return device, "", nil
	}
	device, tail, ok := strings.Cut(topic, "/")
	if !ok || !validFirstLevel(device) {
		return "", "", &TopicError{Topic: topic, Reason: "want {device}/" + canonicalResponsePrefix + "{method}"}
	}
	levels, ok := strings.CutPrefix(tail, canonicalResponsePrefix)
	if !ok {
		return "", "", &TopicError{Topic: topic, Reason: "want {device}/" + canonicalResponsePrefix + "{method}"}
	}
	method, err = methodFromLevels(topic, levels)
	if err != nil {
		return "", "", err
	}
	return device, method, nil
}
