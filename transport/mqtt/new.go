package mqtt

import (
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// New validates cfg and returns a transport to the broker it names. It
// does no I/O: call Connect on the result.
//
// Canonical topics travel under the device's prefix; Send and the raw
// methods check MQTT's rules (and the configured limits) before anything
// is sent, and pace publishes under PublishRate and ByteRate.
// Subscriptions are restored on every reconnect.
//
// A misconfiguration is a *transport.ConfigError naming the Config field.
func New(cfg Config) (*transport.Conn, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	keepAlive := cfg.KeepAlive
	if keepAlive == 0 {
		keepAlive = DefaultKeepAlive
	}
	return transport.NewConn(transport.Options{
		MQTT: mqttx.Options{
			Server:                 cfg.Server,
			ClientID:               r.clientID,
			Username:               cfg.Username,
			Password:               cfg.Password,
			Credentials:            cfg.Credentials,
			TLSConfig:              r.tls,
			Dial:                   cfg.Dial,
			KeepAlive:              keepAlive,
			ConnectTimeout:         cfg.ConnectTimeout,
			PersistentSession:      cfg.PersistentSession,
			MinBackoff:             cfg.MinBackoff,
			MaxBackoff:             cfg.MaxBackoff,
			BackoffResetAfter:      cfg.BackoffResetAfter,
			MaxFiltersPerSubscribe: cfg.MaxFiltersPerSubscribe,
			QueueSize:              cfg.QueueSize,
			Logger:                 cfg.Logger,
		},
		Dialect:          newDialect(r),
		MaxConnectionAge: cfg.MaxConnectionAge,
		Outbox:           cfg.Outbox,
		Logger:           cfg.Logger,
	})
}
