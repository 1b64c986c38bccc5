package awsiot

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tether-iot/tether/transport/outbox"
)

// Adapter defaults, used when the corresponding Config field is zero.
const (
	// DefaultKeepAlive is the MQTT keepalive: short enough to notice a dead
	// cellular link (and keep NAT mappings) within a minute and a half,
	// inside [MinKeepAlive, MaxKeepAlive].
	DefaultKeepAlive = 60 * time.Second
	// DefaultTopicPrefix is the prefix of the AWS topics that carry
	// canonical topics. ThingPlaceholder in a prefix stands for the thing
	// name.
	DefaultTopicPrefix = ThingPlaceholder + "/"
	// ThingPlaceholder, in Config.TopicPrefix, is replaced by the thing
	// name.
	ThingPlaceholder = "{thing}"
	// WebSocketRenewal is the age at which a SigV4 WebSocket connection is
	// replaced by a freshly signed one, before AWS closes it at
	// MaxWebSocketLifetime.
	WebSocketRenewal = MaxWebSocketLifetime - 10*time.Minute
)

// AuthMethod selects how the device authenticates to AWS IoT Core, which
// also fixes the protocol and the ports (see PROTOCOLS.md, and AWS's
// "Device communication protocols" page).
type AuthMethod int

const (
	// AuthX509 is MQTT over mutual TLS with the device's X.509 certificate,
	// on PortMQTT (8883), or on PortHTTPS (443) with ALPN ALPNX509. It is
	// the zero value.
	AuthX509 AuthMethod = iota
	// AuthWebSocket is MQTT over WebSocket (wss, PortHTTPS, WebSocketPath)
	// with a SigV4-presigned URL, signed again for every connection attempt
	// with credentials from Config.CredentialsProvider.
	AuthWebSocket
	// AuthCustomAuthorizer is MQTT over TLS on PortHTTPS with ALPN
	// ALPNCustomAuthorizer; the MQTT username selects the custom authorizer
	// (Config.Authorizer) and carries its token.
	AuthCustomAuthorizer
)

// String returns the method's name.
func (a AuthMethod) String() string {
	switch a {
	case AuthX509:
		return "AuthX509"
	case AuthWebSocket:
		return "AuthWebSocket"
	case AuthCustomAuthorizer:
		return "AuthCustomAuthorizer"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(a))
}

// PropertiesPolicy is what the adapter does with transport.Message
// Properties, which MQTT 3.1.1 on AWS IoT Core cannot carry (there is no
// place for them in the topic or the packet).
type PropertiesPolicy int

const (
	// PropertiesReject makes Send fail with transport.ErrPropertiesNotSupported
	// for a message with any property set, so nothing is lost silently. It
	// is the zero value. Put what the cloud side needs (a correlation or
	// transaction id, a content type) in the payload instead.
	PropertiesReject PropertiesPolicy = iota
	// PropertiesIgnore sends the message without its properties: for
	// firmware shared with Azure IoT Hub where the properties are a nicety
	// the AWS side does without.
	PropertiesIgnore
)

// Config configures an AWS IoT Core connection for one thing. Give the
// Endpoint, the ThingName and the credentials of one AuthMethod; zero
// values mean the documented defaults.
//
// Misconfiguration makes New fail with a *transport.ConfigError whose
// Setting is the name of the field at fault.
type Config struct {
	// Endpoint is the account's device data endpoint, a host name such as
	// "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com" (no scheme, port or
	// path). It is the TLS server name (SNI, required by AWS) and the host
	// the WebSocket URL is signed for. Required.
	Endpoint string
	// Port is PortMQTT (8883) or PortHTTPS (443). The default is PortMQTT
	// for AuthX509 and PortHTTPS, the only one allowed, for the other
	// methods. On 443, AuthX509 uses ALPN ALPNX509.
	Port int
	// Address, when set, is the "host:port" to connect to instead of
	// Endpoint:Port, for emulators (awsiottest), private endpoints and
	// local proxies. TLS still verifies the server's certificate for
	// Endpoint, and Port still selects the protocol (ALPN on 443). A
	// WebSocket URL is then signed for Address, the host the server sees.
	Address string
	// Auth selects the authentication method (default AuthX509).
	Auth AuthMethod

	// ThingName is the thing's name in the AWS IoT registry. Required.
	ThingName string
	// ClientID is the MQTT client ID (default ThingName). A second
	// connection with the same client ID makes AWS disconnect the first;
	// see OnConnectionLoop.
	ClientID string

	// CertFile and KeyFile are the PEM files of the device's X.509
	// certificate and private key, for AuthX509. They are read again on
	// every connection attempt, so a rotated certificate is used without a
	// restart. Give them, or Certificate, or GetClientCertificate.
	CertFile string
	KeyFile  string
	// Certificate is the device's X.509 certificate and key, in memory.
	Certificate *tls.Certificate
	// GetClientCertificate returns the device's certificate for each TLS
	// handshake (a hardware key, a certificate store).
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)

	// RootCAs verify AWS's server certificate; with neither RootCAs nor
	// CAFile the system's roots are used (Amazon Root CA 1 is in them).
	// Verification is never skipped.
	RootCAs *x509.CertPool
	// CAFile is a PEM file of root certificates, read by New, used when
	// RootCAs is nil.
	CAFile string

	// Region is the AWS region the WebSocket URL is signed for (default:
	// taken from Endpoint, "....iot.{region}.amazonaws.com"). AuthWebSocket
	// only.
	Region string
	// CredentialsProvider returns the AWS credentials (for example
	// temporary ones from STS or Cognito) that sign the WebSocket URL. It is
	// called before every connection attempt. Required for AuthWebSocket.
	CredentialsProvider func(ctx context.Context) (Credentials, error)
	// Clock returns the signing time (default time.Now). A clock before
	// 2020 makes the attempt fail with ErrClockNotSet instead of sending a
	// signature AWS would refuse.
	Clock func() time.Time

	// Authorizer selects the custom authorizer and carries its token, for
	// AuthCustomAuthorizer (see CustomAuthorizer.MQTTUsername).
	Authorizer CustomAuthorizer
	// AuthorizerPassword is sent as the MQTT password with
	// AuthCustomAuthorizer; AWS passes it to the authorizer unchanged.
	AuthorizerPassword string

	// TopicPrefix is prepended to canonical topics (default
	// DefaultTopicPrefix, "{thing}/"); ThingPlaceholder is replaced by
	// ThingName. "cmd/{thing}/" gives the command scheme from AWS guidance.
	TopicPrefix string
	// Properties is what Send does with message Properties (default
	// PropertiesReject).
	Properties PropertiesPolicy

	// KeepAlive is the MQTT keepalive (default DefaultKeepAlive); it must be
	// within [MinKeepAlive, MaxKeepAlive], which AWS honours as is.
	KeepAlive time.Duration
	// PublishRate is the most publishes per second the device sends
	// (default DefaultPublishRate, AWS's per-connection limit); Send waits
	// for its turn. Negative disables the pacing.
	PublishRate float64
	// ByteRate is the most payload bytes per second the device sends
	// (default DefaultByteRate). Negative disables the pacing.
	ByteRate int
	// PersistentSession connects with CleanSession=false: AWS keeps the
	// subscriptions and queued QoS 1 messages while the device is away
	// (one hour by default).
	PersistentSession bool

	// ConnectTimeout bounds each attempt, dial to CONNACK (default: mqttx's).
	ConnectTimeout time.Duration
	// MinBackoff, MaxBackoff and BackoffResetAfter tune the reconnect
	// loop's full-jitter exponential backoff (defaults: mqttx's, which are
	// AWS's SDK defaults).
	MinBackoff        time.Duration
	MaxBackoff        time.Duration
	BackoffResetAfter time.Duration
	// QueueSize is the number of inbound messages queued per subscription
	// (default: mqttx's).
	QueueSize int

	// OnConnectionLoop, when set, is called when the connection keeps
	// being lost shortly after it is established (ConnectionLoopCount times
	// in a row, each within ConnectionLoopWindow): typically another
	// process connecting with the same client ID, each knocking the other
	// off. The error matches ErrConnectionLoop. It runs on the transport's
	// event goroutine and must not block. The loop is also logged as a
	// warning.
	OnConnectionLoop func(error)
	// Outbox configures the outbox that holds QoS 1 messages until AWS
	// acknowledges them (see transport.Options.Outbox): in memory by
	// default, durable across restarts with Outbox.Dir set.
	Outbox outbox.Options
	// Logger receives diagnostics; nil discards them. Secrets are never
	// logged.
	Logger *slog.Logger
}

// String describes c without its secrets (the authorizer's token and
// signature and the password are redacted; credentials are never held).
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("awsiot.Config{")
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
	field("Endpoint", c.Endpoint)
	if c.Port != 0 {
		field("Port", fmt.Sprint(c.Port))
	}
	field("Address", c.Address)
	field("Auth", c.Auth.String())
	field("ThingName", c.ThingName)
	field("ClientID", c.ClientID)
	field("CertFile", c.CertFile)
	field("KeyFile", c.KeyFile)
	if c.Certificate != nil {
		field("Certificate", "set")
	}
	field("CAFile", c.CAFile)
	field("Region", c.Region)
	if c.Auth == AuthCustomAuthorizer {
		field("Authorizer", c.Authorizer.String())
		if c.AuthorizerPassword != "" {
			field("AuthorizerPassword", redacted)
		}
	}
	field("TopicPrefix", c.TopicPrefix)
	b.WriteByte('}')
	return b.String()
}

// GoString is String, so that %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue makes log/slog print the redacted form.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
