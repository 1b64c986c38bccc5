package shadowdoc

import (
	"errors"
	"fmt"
	"strings"
)

// Name limits of the Device Shadow service.
const (
	MaxThingNameLen  = 128 // bytes
	MaxShadowNameLen = 64  // bytes
)

// Topic errors. Errors from Build, ParseTopic and the name validators wrap one
// of them.
var (
	ErrInvalidTopic      = errors.New("shadowdoc: not a device shadow topic")
	ErrInvalidThingName  = errors.New("shadowdoc: invalid thing name")
	ErrInvalidShadowName = errors.New("shadowdoc: invalid shadow name")
)

// Operation is a shadow operation: the topic level after the shadow prefix.
type Operation string

// Shadow operations.
const (
	OpGet    Operation = "get"
	OpUpdate Operation = "update"
	OpDelete Operation = "delete"
)

// Kind is the last topic level: empty for the request the device publishes,
// or the kind of response the service publishes.
type Kind string

// Topic kinds. Delta and Documents exist for OpUpdate only.
const (
	KindRequest   Kind = ""
	KindAccepted  Kind = "accepted"
	KindRejected  Kind = "rejected"
	KindDelta     Kind = "delta"
	KindDocuments Kind = "documents"
)

const (
	topicThings = "$aws/things/"
	topicShadow = "shadow"
	topicName   = "name"
)

// Topic identifies one shadow topic:
//
//	$aws/things/{Thing}/shadow/{Op}[/{Kind}]               classic shadow (Shadow "")
//	$aws/things/{Thing}/shadow/name/{Shadow}/{Op}[/{Kind}] named shadow
type Topic struct {
	Thing  string
	Shadow string // "" for the classic (unnamed) shadow
	Op     Operation
	Kind   Kind
}

// String formats t without validating it; use Build for a topic to publish or
// subscribe to.
func (t Topic) String() string {
	var b strings.Builder
	b.Grow(len(topicThings) + len(t.Thing) + len(t.Shadow) + 40)
	b.WriteString(topicThings)
	b.WriteString(t.Thing)
	b.WriteString("/" + topicShadow + "/")
	if t.Shadow != "" {
		b.WriteString(topicName + "/")
		b.WriteString(t.Shadow)
		b.WriteByte('/')
	}
	b.WriteString(string(t.Op))
	if t.Kind != KindRequest {
		b.WriteByte('/')
		b.WriteString(string(t.Kind))
	}
	return b.String()
}

// Build validates t (thing and shadow names, and an operation/kind pair the
// service uses) and formats it.
func (t Topic) Build() (string, error) {
	if err := t.validate(); err != nil {
		return "", err
	}
	return t.String(), nil
}

func (t Topic) validate() error {
	if err := ValidateThingName(t.Thing); err != nil {
		return err
	}
	if t.Shadow != "" {
		if err := ValidateShadowName(t.Shadow); err != nil {
			return err
		}
	}
	switch t.Op {
	case OpGet, OpDelete, OpUpdate:
	default:
		return fmt.Errorf("%w: unknown operation %q", ErrInvalidTopic, t.Op)
	}
	switch t.Kind {
	case KindRequest, KindAccepted, KindRejected:
	case KindDelta, KindDocuments:
		if t.Op != OpUpdate {
			return fmt.Errorf("%w: %s has no %s topic", ErrInvalidTopic, t.Op, t.Kind)
		}
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidTopic, t.Kind)
	}
	return nil
}

// ParseTopic parses a shadow topic. It accepts exactly the topics Build
// produces, so ParseTopic(s) succeeds iff Build returns s again.
func ParseTopic(topic string) (Topic, error) {
	rest, ok := strings.CutPrefix(topic, topicThings)
	if !ok {
		return Topic{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 || parts[1] != topicShadow {
		return Topic{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	t := Topic{Thing: parts[0]}
	i := 2
	if parts[2] == topicName {
		if len(parts) < 5 {
			return Topic{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
		}
		t.Shadow = parts[3]
		if t.Shadow == "" {
			return Topic{}, fmt.Errorf("%w: empty shadow name in %q", ErrInvalidShadowName, topic)
		}
		i = 4
	}
	switch len(parts) - i {
	case 1:
		t.Op = Operation(parts[i])
	case 2:
		t.Op, t.Kind = Operation(parts[i]), Kind(parts[i+1])
		if t.Kind == KindRequest {
			return Topic{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
		}
	default:
		return Topic{}, fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	if err := t.validate(); err != nil {
		return Topic{}, err
	}
	return t, nil
}

// Prefix returns the topic prefix of a shadow: $aws/things/{thing}/shadow, or
// $aws/things/{thing}/shadow/name/{shadow} when shadow is not empty.
func Prefix(thing, shadow string) (string, error) {
	t := Topic{Thing: thing, Shadow: shadow, Op: OpGet}
	if err := t.validate(); err != nil {
		return "", err
	}
	s := t.String()
	return s[:len(s)-len("/"+string(OpGet))], nil
}

// ValidateThingName checks a thing name: 1 to MaxThingNameLen bytes of
// [a-zA-Z0-9:_-].
func ValidateThingName(name string) error {
	return validateName(name, MaxThingNameLen, ErrInvalidThingName)
}

// ValidateShadowName checks a named shadow's name: 1 to MaxShadowNameLen
// bytes of [a-zA-Z0-9:_-]. The classic shadow has no name and is not
// validated with this function.
func ValidateShadowName(name string) error {
	return validateName(name, MaxShadowNameLen, ErrInvalidShadowName)
}

func validateName(name string, maxLen int, sentinel error) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", sentinel)
	case len(name) > maxLen:
		return fmt.Errorf("%w: %d bytes, at most %d", sentinel, len(name), maxLen)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("%w: %q has %q, allowed are a-z A-Z 0-9 : _ -", sentinel, name, name[i])
		}
	}
	return nil
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == ':' || c == '_' || c == '-'
}
