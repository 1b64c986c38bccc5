package awsiottest

import (
	"log/slog"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// Option configures an Emulator.
type Option func(*config)

type config struct {
	authorizers map[string]authorizer
	broker      []mqttxtest.Option
	logger      *slog.Logger
}

type authorizer struct {
	tokenKeyName string
	authorize    func(AuthorizerRequest) bool
}

// AuthorizerRequest is what a custom authorizer receives from a connection
// (AuthCustomAuthorizer, ALPN "mqtt"): the fields AWS IoT Core passes to
// the authorizer's Lambda.
type AuthorizerRequest struct {
	Name      string // the authorizer the username selected
	Token     string // the value of the authorizer's token key name parameter
	Signature string // the token signature, if any
	Username  string // the MQTT username before "?"
	Password  []byte // the MQTT password, as sent
	ClientID  string
}

// WithCustomAuthorizer adds a custom authorizer named name, whose token
// travels in the username's tokenKeyName query parameter. authorize
// accepts or refuses each connection that selects it; a refused
// connection, or one selecting an unknown authorizer, gets CONNACK 5 (not
// authorized). authorize runs on the connection's goroutine.
func WithCustomAuthorizer(name, tokenKeyName string, authorize func(AuthorizerRequest) bool) Option {
	return func(c *config) {
		if c.authorizers == nil {
			c.authorizers = make(map[string]authorizer)
		}
		c.authorizers[name] = authorizer{tokenKeyName: tokenKeyName, authorize: authorize}
	}
}

// WithBrokerOptions passes options to the mqttxtest broker behind the
// emulator (authenticator, authorizer, interceptor, logger ...). Its
// QoS 2 policy is always QoS2Disconnect. An interceptor replaces the
// emulator's, which serves the Device Shadow service: shadow requests then
// go to it.
func WithBrokerOptions(opts ...mqttxtest.Option) Option {
	return func(c *config) { c.broker = append(c.broker, opts...) }
}

// WithLogger sets the logger for the emulator's decisions (default:
// discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
