package azureiottest

import (
	"log/slog"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// DefaultHostName is the IoT Hub host name the emulator answers to, as
// written in usernames and SAS tokens. Devices connect to the emulator's
// loopback address (Config.Server) whatever the name.
const DefaultHostName = "tether-emulator.azure-devices.net"

// Option configures a Hub.
type Option func(*config)

type config struct {
	hostName   string
	clock      func() time.Time
	logger     *slog.Logger
	brokerOpts []mqttxtest.Option
	// minMethodTimeout is the shortest direct-method timeout accepted.
	minMethodTimeout time.Duration
}

// WithHostName sets the hub's host name (default DefaultHostName).
func WithHostName(name string) Option { return func(c *config) { c.hostName = name } }

// WithClock sets the clock the hub checks SAS token expiries against
// (default time.Now). The hub closes a connection when its token expires by
// this clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithLogger sets the logger of the hub and its broker (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMinMethodTimeout lowers the shortest response timeout InvokeMethod
// accepts (IoT Hub's is 5 s), so tests of unanswered methods run fast.
func WithMinMethodTimeout(d time.Duration) Option {
	return func(c *config) { c.minMethodTimeout = d }
}

// WithBrokerOptions passes options to the underlying mqttxtest broker, such
// as mqttxtest.WithKeepAliveFactor or mqttxtest.WithMaxInflight. The hub's
// own listeners, QoS 2 policy and hooks cannot be replaced.
func WithBrokerOptions(opts ...mqttxtest.Option) Option {
	return func(c *config) { c.brokerOpts = append(c.brokerOpts, opts...) }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.hostName == "" {
		c.hostName = DefaultHostName
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c
}
