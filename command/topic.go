package command

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on names, checked by the codecs.
const (
	// MaxIDLength bounds a transaction id, a sender and an Azure $rid, in bytes.
	MaxIDLength = 128
	// MaxMethodLength bounds a method name, in bytes, so that its topics stay
	// within AWS IoT Core's 256-byte topic limit.
	MaxMethodLength = 128
)

// ValidateMethod reports whether method can be routed and carried in a topic
// of every scheme: 1 to [MaxMethodLength] bytes of UTF-8, dot-separated
// non-empty segments, none of '/', '+', '#' or NUL (a '/' would not survive
// the canonical scheme's '.' ↔ '/' mapping). The error matches
// [ErrInvalidMethod].
func ValidateMethod(method string) error {
	bad := func(reason string) error { return &TopicError{Topic: method, Reason: reason, method: true} }
	switch {
	case method == "":
		return bad("empty")
	case len(method) > MaxMethodLength:
		return bad("longer than " + strconv.Itoa(MaxMethodLength) + " bytes")
	case !utf8.ValidString(method):
		return bad("not valid UTF-8")
	case strings.ContainsAny(method, "/+#\x00"):
		return bad("contains '/', '+', '#' or NUL")
	case method[0] == '.' || method[len(method)-1] == '.' || strings.Contains(method, ".."):
		return bad("empty segment")
	}
	return nil
}

// validLevel reports whether s can be one topic level: non-empty UTF-8
// without '/', wildcards or NUL.
func validLevel(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsAny(s, "/+#\x00")
}

// validFirstLevel reports whether s can be the first level of a topic
// that wildcard filters match: MQTT never matches a topic starting with
// '$' against a filter starting with a wildcard (MQTT-4.7.2-1), so a
// device named "$x" would never see its answers under "+/response/#".
func validFirstLevel(s string) bool {
	return validLevel(s) && s[0] != '$'
}

// dollarDevice is why a device name starting with '$' is refused.
const dollarDevice = "a device name starting with '$' cannot lead a topic (wildcards do not match it); use SchemeCmd"

// Scheme is an AWS topic scheme for commands (PROTOCOLS.md §3). Its methods
// are pure functions.
type Scheme int

const (
	// SchemeCanonical carries the method in the topic: a command for method
	// "a.b" arrives on "{device}/request/a/b" and is answered on
	// "{device}/response/a/b".
	SchemeCanonical Scheme = iota
	// SchemeCmd is the AWS command pattern: commands arrive on
	// "cmd/{device}/req" and are answered on "cmd/{device}/resp"; the method
	// travels in the envelope.
	SchemeCmd
)

// String returns "canonical" or "cmd".
func (s Scheme) String() string {
	switch s {
	case SchemeCanonical:
		return "canonical"
	case SchemeCmd:
		return "cmd"
	}
	return "Scheme(" + strconv.Itoa(int(s)) + ")"
}

// RequestFilter returns the subscription filter for device's commands.
func (s Scheme) RequestFilter(device string) (string, error) {
	if !validLevel(device) {
		return "", &TopicError{Topic: device, Reason: "invalid device name"}
	}
	if s == SchemeCmd {
		return "cmd/" + device + "/req", nil
	}
	if !validFirstLevel(device) {
		return "", &TopicError{Topic: device, Reason: dollarDevice}
	}
	return device + "/request/#", nil
}

// RequestTopic returns the topic a command for method is published on (the
// application's side, and emulators). SchemeCmd ignores method.
func (s Scheme) RequestTopic(device, method string) (string, error) {
	return s.topic(device, method, "/request/", "/req")
}

// ResponseTopic returns the topic the response to a command for method is
// published on. SchemeCmd ignores method.
func (s Scheme) ResponseTopic(device, method string) (string, error) {
	return s.topic(device, method, "/response/", "/resp")
}

func (s Scheme) topic(device, method, canonicalInfix, cmdSuffix string) (string, error) {
	if !validLevel(device) {
		return "", &TopicError{Topic: device, Reason: "invalid device name"}
	}
	if s == SchemeCmd {
		return "cmd/" + device + cmdSuffix, nil
	}
	if !validFirstLevel(device) {
		return "", &TopicError{Topic: device, Reason: dollarDevice}
	}
	if err := ValidateMethod(method); err != nil {
		return "", err
	}
	return device + canonicalInfix + strings.ReplaceAll(method, ".", "/"), nil
}

// ParseRequestTopic checks that topic is a command topic for device and
// returns the method it names; SchemeCmd returns "" (the method is in the
// envelope). The error matches [ErrInvalidTopic] or [ErrInvalidMethod].
func (s Scheme) ParseRequestTopic(device, topic string) (method string, err error) {
	if s == SchemeCmd {
		if !validLevel(device) || topic != "cmd/"+device+"/req" {
			return "", &TopicError{Topic: topic, Reason: "not cmd/" + device + "/req"}
		}
		return "", nil
	}
	prefix := device + "/request/"
	if !validFirstLevel(device) || !strings.HasPrefix(topic, prefix) {
		return "", &TopicError{Topic: topic, Reason: "not under " + prefix}
	}
	tail := topic[len(prefix):]
	if strings.Contains(tail, ".") {
		// "a.b" and "a/b" would both map to method "a.b".
		return "", &TopicError{Topic: topic, Reason: "'.' in a method level"}
	}
	method = strings.ReplaceAll(tail, "/", ".")
	if err := ValidateMethod(method); err != nil {
		return "", err
	}
	return method, nil
}

// Azure IoT Hub direct methods (PROTOCOLS.md §2).
const (
	// AzureMethodFilter is the subscription that receives direct methods.
	AzureMethodFilter = "$iothub/methods/POST/#"

	azureMethodPrefix   = "$iothub/methods/POST/"
	azureResponsePrefix = "$iothub/methods/res/"
)

// ParseAzureMethodTopic parses "$iothub/methods/POST/{method}/?$rid={rid}".
// Method and rid are returned verbatim (the hub's $rid is echoed exactly as
// received); other properties in the bag are ignored. The method is only
// required to be one valid topic level: the Router answers unknown names.
func ParseAzureMethodTopic(topic string) (method, rid string, err error) {
	rest, ok := strings.CutPrefix(topic, azureMethodPrefix)
	if !ok {
		return "", "", &TopicError{Topic: topic, Reason: "not under " + azureMethodPrefix}
	}
	method, bag, ok := strings.Cut(rest, "/?")
	if !ok || !validLevel(method) {
		return "", "", &TopicError{Topic: topic, Reason: "want " + azureMethodPrefix + "{method}/?$rid={rid}"}
	}
	if rid, err = ridFromBag(topic, bag); err != nil {
		return "", "", err
	}
	return method, rid, nil
}

// AzureMethodTopic returns "$iothub/methods/POST/{method}/?$rid={rid}", the
// topic the hub delivers a direct method on (for emulators and tests).
func AzureMethodTopic(method, rid string) (string, error) {
	if !validLevel(method) {
		return "", &TopicError{Topic: method, Reason: "not one topic level", method: true}
	}
	if err := validateRID(rid); err != nil {
		return "", err
	}
	return azureMethodPrefix + method + "/?$rid=" + rid, nil
}

// AzureMethodResponseTopic returns "$iothub/methods/res/{status}/?$rid={rid}".
func AzureMethodResponseTopic(status int, rid string) (string, error) {
	if status < 100 || status > 599 {
		return "", &TopicError{Topic: strconv.Itoa(status), Reason: "status out of range 100-599"}
	}
	if err := validateRID(rid); err != nil {
		return "", err
	}
	return azureResponsePrefix + strconv.Itoa(status) + "/?$rid=" + rid, nil
}

// ParseAzureMethodResponseTopic parses "$iothub/methods/res/{status}/?$rid={rid}"
// (the hub's side, for emulators and tests).
func ParseAzureMethodResponseTopic(topic string) (status int, rid string, err error) {
	rest, ok := strings.CutPrefix(topic, azureResponsePrefix)
	if !ok {
		return 0, "", &TopicError{Topic: topic, Reason: "not under " + azureResponsePrefix}
	}
	code, bag, ok := strings.Cut(rest, "/?")
	if !ok || len(code) != 3 || code[0] < '1' || code[0] > '5' {
		return 0, "", &TopicError{Topic: topic, Reason: "want " + azureResponsePrefix + "{status}/?$rid={rid}"}
	}
	status, err = strconv.Atoi(code)
	if err != nil || status < 100 {
		return 0, "", &TopicError{Topic: topic, Reason: "bad status"}
	}
	if rid, err = ridFromBag(topic, bag); err != nil {
		return 0, "", err
	}
	return status, rid, nil
}

// ridFromBag returns the value of $rid in a property bag "k=v&k2=v2".
func ridFromBag(topic, bag string) (string, error) {
	for bag != "" {
		var prop string
		prop, bag, _ = strings.Cut(bag, "&")
		if rid, ok := strings.CutPrefix(prop, "$rid="); ok {
			if err := validateRID(rid); err != nil {
				return "", &TopicError{Topic: topic, Reason: "bad $rid"}
			}
			return rid, nil
		}
	}
	return "", &TopicError{Topic: topic, Reason: "no $rid"}
}

func validateRID(rid string) error {
	if len(rid) > MaxIDLength || !validLevel(rid) || strings.Contains(rid, "&") {
		return &TopicError{Topic: rid, Reason: "invalid $rid"}
	}
	return nil
}
