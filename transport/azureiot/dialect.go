package azureiot

import (
	"fmt"
	"strings"

	"github.com/tether-iot/tether/transport"
)

// MaxQoS is the highest MQTT QoS IoT Hub supports.
const MaxQoS byte = 1

// Dialect is IoT Hub's transport.Dialect for one device or module: it
// translates canonical topics to IoT Hub topics and back, carrying message
// properties in the topic's property bag, and refuses locally whatever the
// hub would answer by closing the connection. It is pure (no I/O) and safe
// for concurrent use.
type Dialect struct {
	deviceID  string
	moduleID  string
	clientID  string
	d2cPrefix string // devices/{d}/[modules/{m}/]messages/events/
}

var _ transport.Dialect = (*Dialect)(nil)

// NewDialect returns the dialect of a device, or of a module when moduleID
// is not empty. It returns a *IDError for an ID that IoT Hub or MQTT topics
// cannot carry.
func NewDialect(deviceID, moduleID string) (*Dialect, error) {
	if err := validateTopicIdentity(deviceID, moduleID); err != nil {
		return nil, err
	}
	clientID, err := ClientID(deviceID, moduleID)
	if err != nil {
		return nil, err
	}
	prefix, err := d2cPrefix(deviceID, moduleID)
	if err != nil {
		return nil, err
	}
	return &Dialect{deviceID: deviceID, moduleID: moduleID, clientID: clientID, d2cPrefix: prefix}, nil
}

// Info describes the identity.
func (d *Dialect) Info() transport.Info {
	return transport.Info{Cloud: transport.CloudAzure, DeviceID: d.deviceID, ModuleID: d.moduleID, ClientID: d.clientID}
}

// PublishTopic returns the device-to-cloud topic for a canonical message,
// devices/{d}/messages/events/ (module: devices/{d}/modules/{m}/messages/events/)
// followed by the subtopic and msg.Properties as the property bag. The QoS,
// size and topic rules are checked by CheckPublish.
func (d *Dialect) PublishTopic(msg transport.Message) (string, error) {
	return D2CTopic(d.deviceID, d.moduleID, msg.Topic, FromTransportProperties(msg.Properties))
}

// SubscribeFilter returns the cloud-to-device filter,
// devices/{d}/messages/devicebound/#, for every canonical filter: IoT Hub
// delivers every C2D message there and Incoming recovers the canonical
// topic from its subtopic property. Modules cannot receive C2D messages:
// their canonical filters are refused with ErrTopicNotAllowed.
func (d *Dialect) SubscribeFilter(canonicalFilter string) (string, error) {
	if err := validateCanonicalFilter(canonicalFilter); err != nil {
		return "", err
	}
	if d.moduleID != "" {
		return "", d.notAllowed("cloud-to-device messages (canonical filter " + canonicalFilter + ") are not delivered to modules")
	}
	return C2DFilter(d.deviceID)
}

// validateCanonicalFilter checks that a canonical filter can match a
// subtopic: its literal segments cannot contain '.'.
func validateCanonicalFilter(filter string) error {
	for _, seg := range strings.Split(filter, "/") {
		if seg != "+" && seg != "#" && strings.Contains(seg, ".") {
			return &TopicError{Topic: filter, Reason: "segment contains '.', which the subtopic uses as separator"}
		}
	}
	return nil
}

// Incoming converts a cloud-to-device message to canonical form: the
// subtopic property gives the topic ("request.x.y" → "request/x/y"; none →
// "c2d") and the other properties become msg.Properties. ok is false for any
// other topic, a malformed property bag or a subtopic that is not a valid
// canonical topic (transport.ValidateTopic).
func (d *Dialect) Incoming(msg transport.Message) (transport.Message, bool) {
	if d.moduleID != "" {
		return transport.Message{}, false
	}
	canonical, props, err := ParseC2DTopic(d.deviceID, msg.Topic)
	if err != nil || transport.ValidateTopic(canonical) != nil {
		return transport.Message{}, false
	}
	return transport.Message{
		Topic:      canonical,
		Payload:    msg.Payload,
		QoS:        msg.QoS,
		Properties: ToTransportProperties(props),
		Duplicate:  msg.Duplicate,
	}, true
}

// CheckPublish checks a PUBLISH against IoT Hub's rules: QoS 0 or 1
// (ErrQoSNotSupported), one of the topics the hub accepts from this identity
// (ErrTopicNotAllowed, see CanPublish), and for device-to-cloud messages at
// most MaxD2CMessageSize bytes of body and properties (ErrPayloadTooLarge).
// Errors are *transport.LimitError values matching the azureiot and the
// transport sentinels.
func (d *Dialect) CheckPublish(topic string, payload []byte, qos byte) error {
	if qos > MaxQoS {
		return &transport.LimitError{Kind: ErrQoSNotSupported, Cloud: transport.CloudAzure,
			Limit: "publish QoS", Value: int(qos), Max: int(MaxQoS)}
	}
	// A device-to-cloud topic is checked here, as CanPublish would, so
	// that its property bag is parsed once, for the rules and the size
	// (this runs on every Send). Any other topic is CanPublish's.
	bag, d2c := strings.CutPrefix(topic, d.d2cPrefix)
	if d2c && d.d2cPrefix != "" {
		props, err := ParsePropertyBag(bag)
		if err != nil || !validTopicName(topic) {
			return d.publishNotAllowed(topic)
		}
		if n := MessageSize(payload, props); n > MaxD2CMessageSize {
			return &transport.LimitError{Kind: ErrPayloadTooLarge, Cloud: transport.CloudAzure,
				Limit: "device-to-cloud message size (body and properties)", Value: n, Max: MaxD2CMessageSize}
		}
		return nil
	}
	if !CanPublish(d.deviceID, d.moduleID, topic) {
		return d.publishNotAllowed(topic)
	}
	return nil
}

func (d *Dialect) publishNotAllowed(topic string) error {
	return d.notAllowed(fmt.Sprintf("IoT Hub does not accept a publish to %q from %s", topic, identityName(d.deviceID, d.moduleID)))
}

// CheckSubscribe checks a SUBSCRIBE against IoT Hub's rules: QoS 0 or 1 and
// one of the filters the hub accepts from this identity (see CanSubscribe).
func (d *Dialect) CheckSubscribe(filter string, qos byte) error {
	if qos > MaxQoS {
		return &transport.LimitError{Kind: ErrQoSNotSupported, Cloud: transport.CloudAzure,
			Limit: "subscription QoS", Value: int(qos), Max: int(MaxQoS)}
	}
	if !CanSubscribe(d.deviceID, d.moduleID, filter) {
		return d.notAllowed(fmt.Sprintf("IoT Hub does not accept a subscription to %q from %s", filter, identityName(d.deviceID, d.moduleID)))
	}
	return nil
}

// Limits returns IoT Hub's per-connection limits: MaxSubscriptions
// subscriptions and MaxD2CMessageSize bytes per message. IoT Hub's
// throttles are per hub unit, not per device, so no rate is set.
func (d *Dialect) Limits() transport.Limits {
	return transport.Limits{MaxSubscriptions: MaxSubscriptions, MaxPayload: MaxD2CMessageSize}
}

func (d *Dialect) notAllowed(what string) error {
	return &transport.LimitError{Kind: ErrTopicNotAllowed, Cloud: transport.CloudAzure, Limit: what}
}
