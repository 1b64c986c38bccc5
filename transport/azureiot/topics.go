package azureiot

import (
	"strings"
	"unicode/utf8"
)

// Canonical (device-relative) topics with a fixed IoT Hub meaning.
const (
	// CanonicalEventsTopic is sent as a plain device-to-cloud message,
	// devices/{id}/messages/events/, without a subtopic.
	CanonicalEventsTopic = "events"

	// CanonicalC2DTopic is the canonical topic of a cloud-to-device message
	// that carries no subtopic property.
	CanonicalC2DTopic = "c2d"

	// SubtopicProperty is the application property that carries a canonical
	// topic other than "events" ("a/b/c" travels as subtopic=a.b.c). It is
	// reserved: Properties.Application must not set it.
	SubtopicProperty = "subtopic"
)

// D2CTopic returns the IoT Hub topic to publish a device-to-cloud message on
// for the canonical topic canonical, with props appended as its property bag:
//
//	events       -> devices/{d}/messages/events/{props}
//	a/b/c        -> devices/{d}/messages/events/subtopic=a.b.c&{props}
//
// For a module (moduleID not empty) the prefix is
// devices/{d}/modules/{m}/messages/events/. Since the subtopic joins segments
// with '.', a canonical topic must be non-empty, valid UTF-8 without NUL or
// MQTT wildcards ('+', '#'), and its segments non-empty and free of '.';
// otherwise D2CTopic returns a *TopicError (matching ErrInvalidTopic).
// Invalid IDs give a *IDError, invalid props a *PropertyError.
func D2CTopic(deviceID, moduleID, canonical string, props Properties) (string, error) {
	if err := validateTopicIdentity(deviceID, moduleID); err != nil {
		return "", err
	}
	if moduleID == "" {
		return topicWithBag(canonical, CanonicalEventsTopic, &props, "devices/", deviceID, "/messages/events/")
	}
	return topicWithBag(canonical, CanonicalEventsTopic, &props, "devices/", deviceID, "/modules/", moduleID, "/messages/events/")
}

// ParseD2CTopic is the inverse of D2CTopic: it returns the canonical topic and
// properties of a device-to-cloud topic of the given device or module. It is
// what the hub (or an emulator of it) does with a D2C publish.
func ParseD2CTopic(deviceID, moduleID, topic string) (canonical string, props Properties, err error) {
	prefix, err := d2cPrefix(deviceID, moduleID)
	if err != nil {
		return "", Properties{}, err
	}
	bag, ok := strings.CutPrefix(topic, prefix)
	if !ok {
		return "", Properties{}, &TopicError{Topic: topic, Reason: "not a D2C topic of " + identityName(deviceID, moduleID)}
	}
	return parseTopicBag(topic, bag, CanonicalEventsTopic)
}

// C2DTopic returns the topic on which IoT Hub delivers a cloud-to-device
// message for the canonical topic canonical: CanonicalC2DTopic is delivered
// without a subtopic, any other canonical topic "a/b/c" with subtopic=a.b.c
// first in the property bag:
//
//	devices/{d}/messages/devicebound/subtopic=request.sensor.list&{props}
//
// It is for emulators and tests; devices parse with ParseC2DTopic.
func C2DTopic(deviceID, canonical string, props Properties) (string, error) {
	if err := validateTopicIdentity(deviceID, ""); err != nil {
		return "", err
	}
	return topicWithBag(canonical, CanonicalC2DTopic, &props, "devices/", deviceID, "/messages/devicebound/")
}

// ParseC2DTopic parses a cloud-to-device topic delivered to deviceID,
//
//	devices/{deviceId}/messages/devicebound/{property_bag}
//
// A subtopic property "request.x.y" gives the canonical topic "request/x/y";
// without one the canonical topic is CanonicalC2DTopic. The other properties
// are returned as Properties. The bag is split before it is decoded, so
// encoded '&', '=' and ';' in values are kept.
//
// It returns a *TopicError (matching ErrInvalidTopic, and
// ErrInvalidPropertyBag for a malformed bag) for a topic of another device,
// a malformed bag, or a subtopic that is not a valid canonical topic.
func ParseC2DTopic(deviceID, topic string) (canonical string, props Properties, err error) {
	prefix, err := c2dPrefix(deviceID)
	if err != nil {
		return "", Properties{}, err
	}
	bag, ok := strings.CutPrefix(topic, prefix)
	if !ok {
		if topic != strings.TrimSuffix(prefix, "/") {
			return "", Properties{}, &TopicError{Topic: topic, Reason: "not a C2D topic of device " + deviceID}
		}
		bag = "" // no trailing slash: no properties
	}
	return parseTopicBag(topic, bag, CanonicalC2DTopic)
}

// ValidateCanonicalTopic reports whether topic can be carried as a subtopic
// and come back unchanged (see D2CTopic). It returns a *TopicError otherwise.
func ValidateCanonicalTopic(topic string) error {
	reason := canonicalProblem(topic)
	if reason != "" {
		return &TopicError{Topic: topic, Reason: reason}
	}
	return nil
}

func canonicalProblem(topic string) string {
	switch {
	case topic == "":
		return "empty"
	case !utf8.ValidString(topic):
		return "not valid UTF-8"
	case strings.IndexByte(topic, 0) >= 0:
		return "contains NUL"
	case strings.ContainsAny(topic, "+#"):
		return "contains an MQTT wildcard"
	}
	// The segments in order, the first bad one decides, without splitting.
	segmentStart := 0
	for i := 0; i <= len(topic); i++ {
		switch {
		case i == len(topic) || topic[i] == '/':
			if i == segmentStart {
				return "empty segment"
			}
			segmentStart = i + 1
		case topic[i] == '.':
			return "segment contains '.', which the subtopic uses as separator"
		}
	}
	return ""
}

// checkTopicBag returns the error D2CTopic or C2DTopic returns for
// canonical and props, and the subtopic to send: canonical, or "" when it is
// plainTopic, which is sent without one.
func checkTopicBag(canonical, plainTopic string, props *Properties) (subtopic string, err error) {
	if err := ValidateCanonicalTopic(canonical); err != nil {
		return "", err
	}
	if _, ok := props.Application[SubtopicProperty]; ok {
		return "", &PropertyError{Name: SubtopicProperty, Offset: -1, Reason: "reserved for the canonical topic"}
	}
	if canonical == plainTopic {
		return "", nil
	}
	return canonical, nil
}

// topicWithBag returns the prefix parts followed by the bag of canonical
// (its subtopic unless it is plainTopic) and props, built in one
// allocation when props has no maps.
func topicWithBag(canonical, plainTopic string, props *Properties, prefix ...string) (string, error) {
	subtopic, err := checkTopicBag(canonical, plainTopic, props)
	if err != nil {
		return "", err
	}
	return encodeTopic(prefix, subtopic, props)
}

// parseTopicBag decodes the bag of topic and takes the canonical topic out of
// its subtopic property (plainTopic when there is none).
func parseTopicBag(topic, encoded, plainTopic string) (string, Properties, error) {
	bag, err := ParsePropertyBag(encoded)
	if err != nil {
		return "", Properties{}, &TopicError{Topic: topic, Reason: "malformed property bag", Err: err}
	}
	canonical := plainTopic
	found := false
	rest := bag[:0:0]
	for _, p := range bag {
		if p.Name != SubtopicProperty {
			rest = append(rest, p)
			continue
		}
		if found {
			return "", Properties{}, &TopicError{Topic: topic, Reason: "more than one subtopic"}
		}
		found = true
		if strings.Contains(p.Value, "/") {
			return "", Properties{}, &TopicError{Topic: topic, Reason: "subtopic contains '/'"}
		}
		canonical = strings.ReplaceAll(p.Value, ".", "/")
		if reason := canonicalProblem(canonical); reason != "" {
			return "", Properties{}, &TopicError{Topic: topic, Reason: "subtopic: " + reason}
		}
	}
	props, err := PropertiesFromBag(rest)
	if err != nil {
		return "", Properties{}, &TopicError{Topic: topic, Reason: "bad properties", Err: err}
	}
	return canonical, props, nil
}

// d2cPrefix returns devices/{d}/messages/events/ or
// devices/{d}/modules/{m}/messages/events/.
func d2cPrefix(deviceID, moduleID string) (string, error) {
	if err := validateTopicIdentity(deviceID, moduleID); err != nil {
		return "", err
	}
	if moduleID == "" {
		return "devices/" + deviceID + "/messages/events/", nil
	}
	return "devices/" + deviceID + "/modules/" + moduleID + "/messages/events/", nil
}

// c2dPrefix returns devices/{d}/messages/devicebound/.
func c2dPrefix(deviceID string) (string, error) {
	if err := validateTopicIdentity(deviceID, ""); err != nil {
		return "", err
	}
	return "devices/" + deviceID + "/messages/devicebound/", nil
}

// validateTopicIdentity checks IDs for use inside MQTT topics, where IoT
// Hub's '+' and '#' would be wildcards.
func validateTopicIdentity(deviceID, moduleID string) error {
	if err := validateIdentity(deviceID, moduleID); err != nil {
		return err
	}
	if strings.ContainsAny(deviceID, "+#") {
		return &IDError{Field: "DeviceId", Reason: "contains '+' or '#', which MQTT topics cannot carry"}
	}
	if strings.ContainsAny(moduleID, "+#") {
		return &IDError{Field: "ModuleId", Reason: "contains '+' or '#', which MQTT topics cannot carry"}
	}
	return nil
}

func identityName(deviceID, moduleID string) string {
	if moduleID == "" {
		return "device " + deviceID
	}
	return "module " + deviceID + "/" + moduleID
}
