package mqtt

import (
	"fmt"
	"strings"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// Dialect is a plain MQTT broker's transport.Dialect: canonical topics
// under the device's prefix, and MQTT 3.1.1's own rules checked before
// anything is sent. It is pure (no I/O), immutable and safe for concurrent
// use.
type Dialect struct {
	info   transport.Info
	prefix string
	maxQoS byte
	ignore bool
	limits transport.Limits
}

var _ transport.Dialect = (*Dialect)(nil)

// NewDialect returns the Dialect for cfg. Only the fields about identity,
// topics and limits are read: DeviceID, ClientID, TopicPrefix,
// Properties, AllowQoS2, MaxPayload, MaxSubscriptions, PublishRate and
// ByteRate. Errors are *transport.ConfigError naming the field.
func NewDialect(cfg Config) (*Dialect, error) {
	r, err := resolveDialect(cfg)
	if err != nil {
		return nil, err
	}
	return newDialect(r), nil
}

func newDialect(r *resolved) *Dialect {
	return &Dialect{
		info:   transport.Info{Cloud: transport.CloudMQTT, DeviceID: r.deviceID, ClientID: r.clientID},
		prefix: r.prefix,
		maxQoS: r.maxQoS,
		ignore: r.ignore,
		limits: r.limits,
	}
}

// Info names the device and the client ID.
func (d *Dialect) Info() transport.Info { return d.info }

// Prefix returns the prefix of the broker topics that carry canonical
// topics, with the device ID substituted, e.g. "gw-7/".
func (d *Dialect) Prefix() string { return d.prefix }

// Limits returns the configured limits (all zero, unlimited, by default).
func (d *Dialect) Limits() transport.Limits { return d.limits }

// PublishTopic returns prefix + the canonical topic. A message with
// Properties fails with ErrPropertiesNotSupported unless the dialect
// ignores them (PropertiesIgnore).
func (d *Dialect) PublishTopic(msg transport.Message) (string, error) {
	if err := transport.ValidateTopic(msg.Topic); err != nil {
		return "", err
	}
	if !d.ignore && !msg.Properties.IsZero() {
		return "", fmt.Errorf("%w: topic %q (MQTT 3.1.1 has no place for them: carry them in the payload, or set Config.Properties to PropertiesIgnore)",
			ErrPropertiesNotSupported, msg.Topic)
	}
	return d.prefix + msg.Topic, nil
}

// SubscribeFilter returns prefix + the canonical filter.
func (d *Dialect) SubscribeFilter(canonicalFilter string) (string, error) {
	if err := transport.ValidateFilter(canonicalFilter); err != nil {
		return "", err
	}
	return d.prefix + canonicalFilter, nil
}

// Incoming returns the canonical form of a message on one of the device's
// prefixed topics. Topics outside the prefix, and topics whose remainder
// is not a valid canonical topic (an empty level, for instance), are not
// canonical: ok is false.
func (d *Dialect) Incoming(msg transport.Message) (canonical transport.Message, ok bool) {
	rest, found := strings.CutPrefix(msg.Topic, d.prefix)
	if !found || transport.ValidateTopic(rest) != nil {
		return transport.Message{}, false
	}
	msg.Topic = rest
	return msg, true
}

// CheckPublish checks a PUBLISH against MQTT 3.1.1: a valid topic name of
// at most MaxTopicLength bytes, QoS 0 or 1 (2 with AllowQoS2), and a
// packet within MaxPacketSize and the payload within Config.MaxPayload.
// Any valid topic is allowed, "$" topics included: the broker's ACL
// decides.
func (d *Dialect) CheckPublish(topic string, payload []byte, qos byte) error {
	if len(topic) > MaxTopicLength {
		return limitError(ErrTopicTooLong, "topic length", len(topic), MaxTopicLength)
	}
	if err := mqttx.ValidateTopicName(topic); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTopic, err)
	}
	if err := d.checkQoS(qos); err != nil {
		return err
	}
	if max := d.maxPayload(topic, qos); len(payload) > max {
		return limitError(ErrPayloadTooLarge, "payload size", len(payload), max)
	}
	return nil
}

// CheckSubscribe checks a SUBSCRIBE filter against MQTT 3.1.1: a valid
// filter of at most MaxTopicLength bytes, QoS 0 or 1 (2 with AllowQoS2).
func (d *Dialect) CheckSubscribe(filter string, qos byte) error {
	if len(filter) > MaxTopicLength {
		return limitError(ErrTopicTooLong, "filter length", len(filter), MaxTopicLength)
	}
	if err := mqttx.ValidateTopicFilter(filter); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTopic, err)
	}
	return d.checkQoS(qos)
}

func (d *Dialect) checkQoS(qos byte) error {
	if qos > d.maxQoS {
		return limitError(ErrQoSNotSupported, "QoS", int(qos), int(d.maxQoS))
	}
	return nil
}

// maxPayload is the largest payload a PUBLISH on topic at qos may carry:
// the packet's remaining length holds the topic (with its 2-byte length),
// the packet identifier for QoS > 0, and the payload.
func (d *Dialect) maxPayload(topic string, qos byte) int {
	n := MaxPacketSize - 2 - len(topic)
	if qos > 0 {
		n -= 2
	}
	if d.limits.MaxPayload > 0 {
		n = min(n, d.limits.MaxPayload)
	}
	return n
}
