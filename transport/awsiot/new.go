package awsiot

import (
	"log/slog"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// New validates cfg and returns a transport to AWS IoT Core for the thing
// it describes. It does no I/O: call Connect on the result.
//
// Every connection attempt dials afresh: the certificate files are read
// again, the WebSocket URL is presigned again with credentials just
// fetched. Subscriptions are sent at most MaxFiltersPerSubscribe per
// SUBSCRIBE; Send and the raw methods check AWS's limits first and pace
// publishes under PublishRate and ByteRate. A SigV4 WebSocket connection
// is replaced before AWS's 24-hour limit.
//
// A misconfiguration is a *transport.ConfigError naming the Config field.
func New(cfg Config) (*transport.Conn, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	d := &dialer{addr: r.addr, tls: r.tls, alpn: r.alpn, signer: r.signer}
	opts := mqttx.Options{
		Server:                 r.server,
		ClientID:               r.clientID,
		Username:               r.username,
		Password:               r.password,
		Dial:                   d.dial,
		KeepAlive:              r.keepAlive,
		ConnectTimeout:         cfg.ConnectTimeout,
		PersistentSession:      cfg.PersistentSession,
		MinBackoff:             cfg.MinBackoff,
		MaxBackoff:             cfg.MaxBackoff,
		BackoffResetAfter:      cfg.BackoffResetAfter,
		MaxFiltersPerSubscribe: MaxFiltersPerSubscribe,
		QueueSize:              cfg.QueueSize,
		Logger:                 cfg.Logger,
	}
	var maxAge time.Duration
	if cfg.Auth == AuthWebSocket {
		maxAge = WebSocketRenewal
	}
	conn, err := transport.NewConn(transport.Options{
		MQTT:             opts,
		Dialect:          newDialect(r),
		MaxConnectionAge: maxAge,
		Outbox:           cfg.Outbox,
		Logger:           cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn.Watch(newLoopDetector(r.clientID, log, cfg.OnConnectionLoop).observe)
	return conn, nil
}
