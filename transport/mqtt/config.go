package mqtt

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport/outbox"
)

// Defaults and MQTT's own limits.
const (
	// DevicePlaceholder, in Config.TopicPrefix, is replaced by the device
	// ID.
	DevicePlaceholder = "{device}"
	// DefaultTopicPrefix is the prefix of the broker topics that carry
	// canonical topics: the device ID and a slash.
	DefaultTopicPrefix = DevicePlaceholder + "/"
	// DefaultKeepAlive is the MQTT keepalive: a dead link (and a stale NAT
	// mapping) is noticed within about a minute and a half.
	DefaultKeepAlive = 60 * time.Second
	// MaxTopicLength is the longest topic name or filter MQTT can encode,
	// in bytes.
	MaxTopicLength = mqttx.MaxTopicLength
	// MaxPacketSize is the largest remaining length of an MQTT packet
	// (MQTT 3.1.1 §2.2.3); a PUBLISH's topic, packet identifier and payload
	// must fit in it.
	MaxPacketSize = 268_435_455
	// DefaultMaxQoS is the highest QoS allowed without Config.AllowQoS2:
	// the QoS every cloud tether speaks to supports.
	DefaultMaxQoS byte = 1
)

// PropertiesPolicy is what Send does with transport.Message Properties,
// which MQTT 3.1.1 cannot carry.
type PropertiesPolicy int

const (
	// PropertiesReject makes Send fail with
	// transport.ErrPropertiesNotSupported for a message with any property
	// set, so nothing is lost silently. It is the zero value.
	PropertiesReject PropertiesPolicy = iota
	// PropertiesIgnore sends the message without its properties: for
	// firmware shared with Azure IoT Hub, where the properties are a nicety
	// the broker's consumers do without.
	PropertiesIgnore
)

// String returns the policy's name.
func (p PropertiesPolicy) String() string {
	switch p {
	case PropertiesReject:
		return "PropertiesReject"
	case PropertiesIgnore:
		return "PropertiesIgnore"
	}
	return fmt.Sprintf("PropertiesPolicy(%d)", int(p))
}

// Credentials are an MQTT user name and password.
type Credentials = mqttx.Credentials

// Config configures a connection to a plain MQTT broker for one device.
// Give Server (or Dial) and DeviceID; zero values mean the documented
// defaults.
//
// Misconfiguration makes New fail with a *transport.ConfigError whose
// Setting is the name of the field at fault.
type Config struct {
	// Server is the broker's URL: tcp:// or mqtt:// (port 1883 by default),
	// tls://, ssl:// or mqtts:// (8883), ws:// (80) or wss:// (443), e.g.
	// "tls://broker.plant.local:8883". Required unless Dial is set.
	Server string
	// DeviceID identifies the device: it replaces DevicePlaceholder in
	// TopicPrefix and is the default ClientID. It must be usable as one
	// topic level: no "/", "+", "#" or NUL. Required.
	DeviceID string
	// ClientID is the MQTT client ID (default DeviceID). A second
	// connection with the same client ID makes the broker close the first.
	ClientID string

	// Username and Password are sent in CONNECT. A Password needs a
	// Username (MQTT 3.1.1 §3.1.2.9). Over tcp:// and ws:// they travel in
	// clear text: use TLS outside a trusted network.
	Username string
	Password string
	// Credentials, when set, is called before every connection attempt
	// instead of using Username and Password: for tokens that expire (JWT
	// authentication in EMQX or HiveMQ). See also MaxConnectionAge.
	Credentials func(ctx context.Context) (Credentials, error)

	// TLSConfig configures TLS for tls://, ssl://, mqtts:// and wss://
	// servers (default: the system's roots, TLS 1.2 or later). Set RootCAs
	// for a broker with a private CA, and Certificates or
	// GetClientCertificate for client certificate authentication.
	// GetClientCertificate is called on every handshake, so it is where a
	// renewed client certificate is supplied: the next reconnect presents
	// it, without a restart. It must not disable verification:
	// InsecureSkipVerify is refused unless VerifyPeerCertificate or
	// VerifyConnection does the verification instead. MinVersion below
	// TLS 1.2 is refused. It is cloned.
	TLSConfig *tls.Config
	// Dial, when set, opens the network connection for every attempt
	// instead of dialing Server (proxies, in-memory pipes in tests). It
	// does its own TLS, so TLSConfig must then be nil; mqttx.DialServer is
	// a building block.
	Dial func(ctx context.Context) (net.Conn, error)

	// TopicPrefix is prepended to canonical topics (default
	// DefaultTopicPrefix, "{device}/"); DevicePlaceholder is replaced by
	// DeviceID. It must end with "/", must not start with "$" and must not
	// contain wildcards, e.g. "plant-3/gateways/{device}/".
	TopicPrefix string
	// Properties is what Send does with message Properties (default
	// PropertiesReject).
	Properties PropertiesPolicy
	// AllowQoS2 lets Send, PublishRaw and SubscribeRaw use QoS 2. Without
	// it QoS 2 fails with transport.ErrQoSNotSupported, as on the clouds.
	AllowQoS2 bool
	// MaxPayload is the largest payload the broker accepts, when it is
	// configured below MQTT's own limit (mosquitto's message_size_limit,
	// EMQX's max_packet_size, HiveMQ's max-packet-size); 0 means MQTT's
	// limit only. Larger payloads fail with transport.ErrPayloadTooLarge.
	MaxPayload int
	// MaxSubscriptions is the most filters subscribed at once; 0 means no
	// limit. Beyond it Handle and SubscribeRaw fail with
	// transport.ErrTooManySubscriptions.
	MaxSubscriptions int
	// PublishRate is the most publishes per second the device sends; Send
	// and PublishRaw wait for their turn. 0 means no pacing.
	PublishRate float64
	// ByteRate is the most payload bytes per second the device sends. 0
	// means no pacing.
	ByteRate int

	// KeepAlive is the MQTT keepalive (default DefaultKeepAlive), at most
	// 65535 s.
	KeepAlive time.Duration
	// PersistentSession connects with CleanSession=false: the broker keeps
	// the subscriptions and queued QoS 1 messages while the device is away.
	PersistentSession bool
	// MaxConnectionAge, when positive, makes the transport reconnect
	// gracefully before a connection is that old: with Credentials, a token
	// that expires is replaced before the broker enforces it.
	MaxConnectionAge time.Duration

	// ConnectTimeout bounds each attempt, dial to CONNACK (default: mqttx's).
	ConnectTimeout time.Duration
	// MinBackoff, MaxBackoff and BackoffResetAfter tune the reconnect
	// loop's full-jitter exponential backoff (defaults: mqttx's).
	MinBackoff        time.Duration
	MaxBackoff        time.Duration
	BackoffResetAfter time.Duration
	// MaxFiltersPerSubscribe is the most filters sent in one SUBSCRIBE when
	// subscriptions are restored (default: mqttx's).
	MaxFiltersPerSubscribe int
	// QueueSize is the number of inbound messages queued per subscription
	// (default: mqttx's).
	QueueSize int
	// Outbox configures the outbox that holds QoS 1 messages until the
	// broker acknowledges them (see transport.Options.Outbox): in memory
	// by default, durable across restarts with Outbox.Dir set.
	Outbox outbox.Options
	// Logger receives diagnostics; nil discards them. Passwords are never
	// logged.
	Logger *slog.Logger
}

const redacted = "REDACTED"

// String describes c without its secrets: the password is redacted.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("mqtt.Config{")
	n := b.Len()
	field := func(name, v string) {
		if v == "" {
			return
		}
		if b.Len() > n {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	field("Server", redactServer(c.Server))
	field("DeviceID", c.DeviceID)
	field("ClientID", c.ClientID)
	field("Username", c.Username)
	if c.Password != "" {
		field("Password", redacted)
	}
	if c.Credentials != nil {
		field("Credentials", "set")
	}
	if c.TLSConfig != nil {
		field("TLSConfig", "set")
	}
	if c.Dial != nil {
		field("Dial", "set")
	}
	field("TopicPrefix", c.TopicPrefix)
	b.WriteByte('}')
	return b.String()
}

// redactServer hides the user information of a server URL (New refuses
// it, but String may describe a Config New refused).
func redactServer(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		if strings.Contains(server, "@") {
			return redacted
		}
		return server
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	return u.String()
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// LogValue makes log/slog print the redacted form.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
