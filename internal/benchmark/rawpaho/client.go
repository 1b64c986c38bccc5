package rawpaho

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// DefaultKeepAlive matches tether's default (mqttx.DefaultKeepAlive), so
// that both sides of a comparison ping equally often.
const DefaultKeepAlive = 60 * time.Second

// disconnectQuiesce is how long Close lets paho write DISCONNECT.
const disconnectQuiesce = 250 // milliseconds

// Config configures a raw paho client.
type Config struct {
	// Server is the broker URL, e.g. "tcp://127.0.0.1:1883" or
	// "tls://127.0.0.1:8883".
	Server string
	// ClientID is the MQTT client id. Required.
	ClientID string
	// TLSConfig is used for TLS servers.
	TLSConfig *tls.Config
	// KeepAlive is the MQTT keepalive (default DefaultKeepAlive).
	KeepAlive time.Duration
}

// Client is a connected paho client with a ctx-aware wait on its tokens.
type Client struct {
	c mqtt.Client
}

// Connect connects a paho client with paho's defaults (clean session,
// ordered callbacks, paho's own auto-reconnect) and waits for the CONNACK
// or ctx.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("rawpaho: Config.ClientID required")
	}
	keepAlive := cfg.KeepAlive
	if keepAlive == 0 {
		keepAlive = DefaultKeepAlive
	}
	opts := mqtt.NewClientOptions().
		AddBroker(cfg.Server).
		SetClientID(cfg.ClientID).
		SetProtocolVersion(4).
		SetKeepAlive(keepAlive)
	if cfg.TLSConfig != nil {
		opts.SetTLSConfig(cfg.TLSConfig)
	}
	c := mqtt.NewClient(opts)
	if err := wait(ctx, c.Connect()); err != nil {
		c.Disconnect(0)
		return nil, fmt.Errorf("rawpaho: connect: %w", err)
	}
	return &Client{c: c}, nil
}

// Publish publishes payload on topic and waits for paho's token: the
// PUBACK for QoS 1, the hand-off to the connection for QoS 0.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte) error {
	return wait(ctx, c.c.Publish(topic, qos, false, payload))
}

// Subscribe subscribes filter and waits for the SUBACK. h runs on paho's
// router goroutine, in order; it must not block.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte, h func(topic string, payload []byte)) error {
	tok := c.c.Subscribe(filter, qos, func(_ mqtt.Client, m mqtt.Message) { h(m.Topic(), m.Payload()) })
	if err := wait(ctx, tok); err != nil {
		return fmt.Errorf("rawpaho: subscribe %q: %w", filter, err)
	}
	return nil
}

// Close sends DISCONNECT and stops paho's goroutines.
func (c *Client) Close() { c.c.Disconnect(disconnectQuiesce) }

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
