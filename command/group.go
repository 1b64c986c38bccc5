package command

import "strings"

// Group topics let one request reach many devices on AWS IoT Core or a plain
// broker (Azure IoT Hub lets a device subscribe to nothing but its own
// topics). A device in group "floor-3" (see [WithGroups]) subscribes to
// "group/floor-3/request/#"; an application publishes method "a.b" once on
// "group/floor-3/request/a/b" with a request envelope, and every member
// answers on its own response topic with the request's TID (see
// [Invoker.InvokeGroup]). Group topics are cloud topics, outside the
// device-relative canonical scheme.
const groupPrefix = "group/"

// GroupRequestFilter returns "group/{group}/request/#", the filter a member
// of group subscribes to.
func GroupRequestFilter(group string) (string, error) {
	if !validLevel(group) {
		return "", &TopicError{Topic: group, Reason: "invalid group name"}
	}
	return groupPrefix + group + "/" + canonicalRequestPrefix + "#", nil
}

// GroupRequestTopic returns "group/{group}/request/{a/b}", the topic a
// command for method "a.b" is sent to every member of group on.
func GroupRequestTopic(group, method string) (string, error) {
	if !validLevel(group) {
		return "", &TopicError{Topic: group, Reason: "invalid group name"}
	}
	if err := ValidateMethod(method); err != nil {
		return "", err
	}
	return groupPrefix + group + "/" + canonicalRequestPrefix + strings.ReplaceAll(method, ".", "/"), nil
}

// ParseGroupRequestTopic returns the group and the method of a group
// request topic. The error matches [ErrInvalidTopic] or [ErrInvalidMethod].
func ParseGroupRequestTopic(topic string) (group, method string, err error) {
	rest, ok := strings.CutPrefix(topic, groupPrefix)
	if !ok {
		return "", "", &TopicError{Topic: topic, Reason: "not under " + groupPrefix}
	}
	group, tail, ok := strings.Cut(rest, "/")
	if !ok || !validLevel(group) {
		return "", "", &TopicError{Topic: topic, Reason: "want " + groupPrefix + "{group}/" + canonicalRequestPrefix + "{method}"}
	}
	levels, ok := strings.CutPrefix(tail, canonicalRequestPrefix)
	if !ok {
		return "", "", &TopicError{Topic: topic, Reason: "want " + groupPrefix + "{group}/" + canonicalRequestPrefix + "{method}"}
	}
	method, err = methodFromLevels(topic, levels)
	if err != nil {
		return "", "", err
	}
	return group, method, nil
}
