package azureiot

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"strings"
	"time"

	"github.com/tether-iot/tether/transport/outbox"
)

// Adapter defaults, used when the corresponding Config field is zero.
const (
	// DefaultKeepAlive is the MQTT keepalive (the Python SDK's; the C SDK
	// uses 240 s). Short enough for cellular NATs, well under MaxKeepAlive.
	DefaultKeepAlive = 60 * time.Second

	// DefaultPort is IoT Hub's MQTT over TLS port.
	DefaultPort = "8883"

	// DefaultWebSocketPort is IoT Hub's MQTT over WebSocket (TLS) port.
	DefaultWebSocketPort = "443"

	// WebSocketPath is the HTTP path of IoT Hub's MQTT WebSocket endpoint.
	WebSocketPath = "/$iothub/websocket"

	// MinTokenTTL is the shortest TokenTTL accepted: SAS expiries have a
	// resolution of one second.
	MinTokenTTL = 2 * time.Second
)

// Config configures an IoT Hub connection for one device or module
// identity. Give either ConnectionString, or HostName and DeviceID (and
// ModuleID for a module) with one way to authenticate: SharedAccessKey, or
// an X.509 certificate (CertFile and KeyFile, Certificate, or
// GetClientCertificate). Zero values mean the documented defaults.
//
// Config's String and LogValue methods redact the key, so printing or
// logging it is safe.
type Config struct {
	// ConnectionString is a device or module connection string,
	// "HostName=...;DeviceId=...;SharedAccessKey=..." (see
	// ParseConnectionString). With x509=true the certificate comes from
	// the certificate fields. When set, the identity and key fields below
	// must be empty.
	ConnectionString string

	// HostName is the IoT Hub host, e.g. "myhub.azure-devices.net". The
	// username and SAS tokens always name it, wherever the connection goes.
	HostName string
	// DeviceID is the device ID.
	DeviceID string
	// ModuleID is the module ID, for a module identity; empty for a device.
	ModuleID string
	// SharedAccessKey is the device's (or module's) base64 key, as the
	// portal shows it. A fresh SAS token is signed with it before every
	// connection attempt.
	SharedAccessKey string
	// SharedAccessKeyName is the shared access policy name when
	// SharedAccessKey is a policy key rather than the device's own.
	SharedAccessKeyName string

	// CertFile and KeyFile are PEM files of the device's X.509 certificate
	// and key. They are read again on every connection attempt, so a
	// rotated certificate is used without a restart.
	CertFile string
	KeyFile  string
	// Certificate is the device's X.509 certificate and key, in memory.
	Certificate *tls.Certificate
	// GetClientCertificate returns the device's X.509 certificate for each
	// TLS handshake (a hardware key, a certificate store).
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)

	// RootCAs verify the hub's server certificate; nil uses the system's
	// roots. Verification is never skipped.
	RootCAs *x509.CertPool

	// ModelID is the IoT Plug and Play model, a DTMI such as
	// "dtmi:com:example:Thermostat;1", announced in the username.
	ModelID string

	// WebSocket connects with MQTT over WebSocket on port 443 at
	// WebSocketPath, for networks that block port 8883.
	WebSocket bool

	// GatewayHostName is the host to connect to instead of HostName, e.g.
	// an IoT Edge gateway.
	GatewayHostName string

	// Server, when set, is the URL to connect to instead of the hub's
	// (mqtts://host:8883, or wss://host:443/$iothub/websocket with
	// WebSocket): an emulator, a private endpoint or a proxy. Its scheme
	// must be mqtts, ssl, tls or wss (wss when WebSocket is set). The TLS
	// server name is its host.
	Server string

	// TokenTTL is the lifetime of each SAS token (default
	// DefaultTokenTTL; at least MinTokenTTL).
	TokenTTL time.Duration
	// TokenRenewAt is the fraction of TokenTTL after which the connection
	// is renewed with a fresh token, since MQTT cannot renew a token on a
	// live connection (default DefaultTokenRenewAt; in (0, 1)).
	TokenRenewAt float64
	// Clock returns the current time for minting tokens (default
	// time.Now). A clock before MinPlausibleUnixTime makes the connection
	// attempt fail with ErrClockNotSet instead of sending a dead token.
	Clock func() time.Time

	// KeepAlive is the MQTT keepalive (default DefaultKeepAlive, at most
	// MaxKeepAlive).
	KeepAlive time.Duration
	// ConnectTimeout bounds each attempt, dial to CONNACK (default
	// mqttx.DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// PersistentSession connects with CleanSession=false: the hub keeps
	// the C2D subscription and queues C2D messages while the device is
	// away.
	PersistentSession bool

	// MinBackoff, MaxBackoff and BackoffResetAfter tune the reconnect
	// loop's full-jitter exponential backoff (defaults: mqttx's).
	MinBackoff        time.Duration
	MaxBackoff        time.Duration
	BackoffResetAfter time.Duration
	// QueueSize is the number of inbound messages queued per subscription
	// (default: mqttx's).
	QueueSize int

	// Outbox configures the outbox that holds QoS 1 messages until the hub
	// acknowledges them (see transport.Options.Outbox): in memory by
	// default, durable across restarts with Outbox.Dir set.
	Outbox outbox.Options
	// Logger receives diagnostics; nil discards them. Secrets are never
	// logged.
	Logger *slog.Logger
}

// String describes c with the key and the connection string's key
// redacted.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("azureiot.Config{")
	field := func(name, v string) {
		if v == "" {
			return
		}
		if b.Len() > len("azureiot.Config{") {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	if c.ConnectionString != "" {
		if cs, err := ParseConnectionString(c.ConnectionString); err == nil {
			field("ConnectionString", cs.String())
		} else {
			field("ConnectionString", redacted)
		}
	}
	field("HostName", c.HostName)
	field("DeviceID", c.DeviceID)
	field("ModuleID", c.ModuleID)
	if c.SharedAccessKey != "" {
		field("SharedAccessKey", redacted)
	}
	field("SharedAccessKeyName", c.SharedAccessKeyName)
	field("CertFile", c.CertFile)
	field("KeyFile", c.KeyFile)
	if c.Certificate != nil {
		field("Certificate", "set")
	}
	field("GatewayHostName", c.GatewayHostName)
	field("Server", c.Server)
	if c.WebSocket {
		field("WebSocket", "true")
	}
	b.WriteByte('}')
	return b.String()
}

// GoString is like String, so that %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// LogValue makes log/slog print the redacted form.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
