package azureiot

import (
	"strings"
	"unicode/utf8"
)

// Subscription filters IoT Hub accepts from any device or module. It accepts
// no other wildcards.
const (
	// TwinResponseFilter receives responses to twin GET and reported-property
	// PATCH requests: $iothub/twin/res/{status}/?$rid={rid}[&$version={v}].
	TwinResponseFilter = "$iothub/twin/res/#"
	// TwinDesiredFilter receives desired-property patches:
	// $iothub/twin/PATCH/properties/desired/?$version={v}.
	TwinDesiredFilter = "$iothub/twin/PATCH/properties/desired/#"
	// MethodRequestFilter receives direct method requests:
	// $iothub/methods/POST/{method}/?$rid={rid}.
	MethodRequestFilter = "$iothub/methods/POST/#"
)

// Prefixes of the request topics a device publishes; each is followed by a
// property bag holding $rid.
const (
	twinGetPrefix        = "$iothub/twin/GET/?"
	twinReportedPrefix   = "$iothub/twin/PATCH/properties/reported/?"
	methodResponsePrefix = "$iothub/methods/res/"
	ridProperty          = "$rid"
	maxStatusDigits      = 9
)

// C2DFilter returns the filter on which a device receives cloud-to-device
// messages, devices/{deviceId}/messages/devicebound/#. Modules cannot receive
// C2D messages. It returns a *IDError for an invalid device ID.
func C2DFilter(deviceID string) (string, error) {
	prefix, err := c2dPrefix(deviceID)
	if err != nil {
		return "", err
	}
	return prefix + "#", nil
}

// CanSubscribe reports whether IoT Hub lets the device (or the module, when
// moduleID is not empty) subscribe to filter: C2DFilter (devices only),
// TwinResponseFilter, TwinDesiredFilter or MethodRequestFilter, exactly. The
// hub drops the connection on any other SUBSCRIBE.
func CanSubscribe(deviceID, moduleID, filter string) bool {
	if validateTopicIdentity(deviceID, moduleID) != nil {
		return false
	}
	switch filter {
	case TwinResponseFilter, TwinDesiredFilter, MethodRequestFilter:
		return true
	}
	if moduleID != "" {
		return false
	}
	c2d, err := C2DFilter(deviceID)
	return err == nil && filter == c2d
}

// CanPublish reports whether IoT Hub accepts a PUBLISH to topic from the
// device (or the module, when moduleID is not empty). The accepted topics are
//
//	devices/{d}/messages/events/{bag}            (module: devices/{d}/modules/{m}/messages/events/{bag})
//	$iothub/twin/GET/?$rid={rid}
//	$iothub/twin/PATCH/properties/reported/?$rid={rid}
//	$iothub/methods/res/{status}/?$rid={rid}
//
// where {bag} is a well-formed (possibly empty) property bag, {rid} a
// non-empty request ID (the only property allowed there) and {status} 1 to 9
// decimal digits. A topic must also be a valid MQTT topic name: UTF-8 without
// NUL or wildcards. The hub drops the connection on any other PUBLISH.
func CanPublish(deviceID, moduleID, topic string) bool {
	if !validTopicName(topic) {
		return false
	}
	if prefix, err := d2cPrefix(deviceID, moduleID); err != nil {
		return false
	} else if bag, ok := strings.CutPrefix(topic, prefix); ok {
		_, err := ParsePropertyBag(bag)
		return err == nil
	}
	if bag, ok := strings.CutPrefix(topic, twinGetPrefix); ok {
		return onlyRID(bag)
	}
	if bag, ok := strings.CutPrefix(topic, twinReportedPrefix); ok {
		return onlyRID(bag)
	}
	if rest, ok := strings.CutPrefix(topic, methodResponsePrefix); ok {
		status, bag, ok := strings.Cut(rest, "/?")
		return ok && isStatus(status) && onlyRID(bag)
	}
	return false
}

// validTopicName reports whether topic is a valid MQTT topic name.
func validTopicName(topic string) bool {
	return topic != "" && len(topic) <= 65535 && utf8.ValidString(topic) &&
		!strings.ContainsAny(topic, "+#\x00")
}

// onlyRID reports whether bag holds exactly one property, a non-empty $rid.
func onlyRID(bag string) bool {
	b, err := ParsePropertyBag(bag)
	return err == nil && len(b) == 1 && b[0].Name == ridProperty && !b[0].Null && b[0].Value != ""
}

func isStatus(s string) bool {
	if s == "" || len(s) > maxStatusDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
