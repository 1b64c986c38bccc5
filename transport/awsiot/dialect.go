package awsiot

import (
	"fmt"

	"github.com/tether-iot/tether/transport"
)

// Dialect is AWS IoT Core's transport.Dialect: canonical topics under the
// thing's prefix, and the message broker's limits checked before anything
// is sent. It is pure (no I/O), immutable and safe for concurrent use.
//
// Every limit error matches both this package's sentinel and the shared
// transport one (errors.Is(err, transport.ErrPayloadTooLarge)), and a
// *LimitError is also a *transport.LimitError for errors.As.
type Dialect struct {
	info   transport.Info
	topics Topics
	limits transport.Limits
	ignore bool
}

var _ transport.Dialect = (*Dialect)(nil)

// NewDialect returns the Dialect for cfg. Only the fields about identity,
// topics and limits are read: ThingName, ClientID, TopicPrefix,
// Properties, PublishRate, ByteRate (and KeepAlive is checked). Errors are
// *transport.ConfigError naming the field.
func NewDialect(cfg Config) (*Dialect, error) {
	r := &resolved{}
	if err := resolveIdentity(cfg, r); err != nil {
		return nil, err
	}
	return newDialect(r), nil
}

func newDialect(r *resolved) *Dialect {
	return &Dialect{
		info:   transport.Info{Cloud: transport.CloudAWS, DeviceID: r.thing, ClientID: r.clientID},
		topics: r.topics,
		ignore: r.ignore,
		limits: transport.Limits{
			MaxSubscriptions: MaxSubscriptions,
			PublishRate:      r.pubRate,
			ByteRate:         r.byteRate,
			MaxPayload:       MaxPayloadSize,
		},
	}
}

// Info names the thing and the client ID.
func (d *Dialect) Info() transport.Info { return d.info }

// Topics returns the canonical topic translation.
func (d *Dialect) Topics() Topics { return d.topics }

// Limits returns AWS IoT Core's per-connection limits, with the configured
// rates.
func (d *Dialect) Limits() transport.Limits { return d.limits }

// PublishTopic returns prefix + the canonical topic. A message with
// Properties fails with transport.ErrPropertiesNotSupported unless the
// dialect ignores them (PropertiesIgnore).
func (d *Dialect) PublishTopic(msg transport.Message) (string, error) {
	if !d.ignore && !msg.Properties.IsZero() {
		return "", fmt.Errorf("awsiot: topic %q: %w (AWS IoT Core over MQTT 3.1.1 has no place for them; carry them in the payload, or set Config.Properties to PropertiesIgnore)",
			msg.Topic, transport.ErrPropertiesNotSupported)
	}
	return d.topics.ToAWS(msg.Topic), nil
}

// SubscribeFilter returns prefix + the canonical filter.
func (d *Dialect) SubscribeFilter(canonicalFilter string) (string, error) {
	return d.topics.ToAWS(canonicalFilter), nil
}

// Incoming returns the canonical form of a message on one of the thing's
// prefixed topics.
func (d *Dialect) Incoming(msg transport.Message) (transport.Message, bool) {
	canonical, ok := d.topics.FromAWS(msg.Topic)
	if !ok {
		return transport.Message{}, false
	}
	msg.Topic = canonical
	return msg, true
}

// CheckPublish checks the topic (length, slashes), the QoS (0 or 1) and
// the payload size (MaxPayloadSize).
func (d *Dialect) CheckPublish(topic string, payload []byte, qos byte) error {
	return ValidatePublish(topic, payload, qos)
}

// CheckSubscribe checks the filter (length, slashes, wildcards) and the
// QoS.
func (d *Dialect) CheckSubscribe(filter string, qos byte) error {
	if err := ValidateFilter(filter); err != nil {
		return err
	}
	return ValidateQoS(qos)
}
