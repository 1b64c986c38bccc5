package mqttx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Publish sends an application message. QoS 0 returns once the message is handed to the connection;
// QoS 1 and 2 return when the server acknowledged it or ctx is done. Without a connection it returns
// ErrNotConnected at once (queueing belongs to the layer above). The connection may still read payload
// after a Publish that returned with ctx's error (the packet may not be written yet): do not modify it
// then.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	tok, counted, err := c.startPublish(ctx, topic, payload, qos, retain)
	if err != nil {
		return err
	}
	if counted {
		defer c.endPublish()
	}
	return publishResult(topic, waitToken(ctx, tok))
}

// PublishAsync hands an application message to the connection and returns
// without waiting for the server's acknowledgement: the caller can stop
// waiting (its ctx ended) while the publish goes on, or have several in
// flight. ctx bounds only the hand-off, which waits while Reconnect
// replaces the connection. Errors are those of Publish. Call the result's
// Wait: until it first returns, a QoS 1 or 2 publish counts as in flight,
// and Reconnect lets it finish before replacing the connection. payload
// must not be modified until the publish is complete (Done).
func (c *Client) PublishAsync(ctx context.Context, topic string, payload []byte, qos byte, retain bool) (*Publication, error) {
	tok, counted, err := c.startPublish(ctx, topic, payload, qos, retain)
	if err != nil {
		return nil, err
	}
	return &Publication{c: c, tok: tok, topic: topic, counted: counted}, nil
}

// startPublish validates a publish and hands it to paho. counted reports
// that it is in flight for Reconnect: the caller calls endPublish after
// waiting.
func (c *Client) startPublish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) (tok mqtt.Token, counted bool, err error) {
	if err := ValidateTopicName(topic); err != nil {
		return nil, false, err
	}
	if qos > 2 {
		return nil, false, ErrInvalidQoS
	}
	closed, connected, err := c.beginPublish(ctx, qos)
	switch {
	case err != nil:
		return nil, false, err
	case closed:
		return nil, false, ErrClosed
	case !connected:
		return nil, false, ErrNotConnected
	}
	if payload == nil {
		payload = []byte{}
	}
	return c.paho.Publish(topic, qos, retain, payload), qos > 0, nil
}

// publishResult describes the outcome of a publish to topic.
func publishResult(topic string, err error) error {
	if err != nil {
		return fmt.Errorf("mqttx: publish to %q: %w", topic, err)
	}
	return nil
}

// Publication is a publish handed to the connection by PublishAsync.
type Publication struct {
	c       *Client
	tok     mqtt.Token
	topic   string
	counted bool
	ended   atomic.Bool
}

// Done is closed once the publish is complete: acknowledged by the server
// (QoS 0: written), or failed.
func (p *Publication) Done() <-chan struct{} { return p.tok.Done() }

// Wait waits until the publish is complete or ctx is done, and returns
// its outcome as Publish does. After the first Wait returns, the publish
// no longer holds up Reconnect, as with a Publish whose ctx ended.
func (p *Publication) Wait(ctx context.Context) error {
	err := waitToken(ctx, p.tok)
	if p.counted && p.ended.CompareAndSwap(false, true) {
		p.c.endPublish()
	}
	return publishResult(p.topic, err)
}

// waitToken waits for a paho token or ctx and maps paho's errors to mqttx's.
func waitToken(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return ctx.Err()
	}
	err := tok.Error()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mqtt.ErrNotConnected):
		return ErrNotConnected
	case strings.Contains(err.Error(), "connection lost"):
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return err
}
