package mqttx

import (
	"context"
	"fmt"
	"time"
)

// reconnectQuiesce is how long a graceful reconnect lets DISCONNECT be
// written before the connection is closed.
const reconnectQuiesce = 250 * time.Millisecond

// Reconnect replaces a live connection with a fresh one, for credentials
// that cannot be renewed on a live MQTT connection (Azure SAS tokens,
// 24-hour SigV4 WebSockets). It waits until every QoS 1 publish in flight
// is acknowledged, holds new publishes (they wait, bounded by their own
// ctx, instead of failing), sends DISCONNECT (so no will is published),
// and reconnects at once, without backoff, with fresh credentials. It
// returns once connected again and the subscriptions are restored, or
// with ctx's error (the reconnect loop then carries on by itself).
// Without a live connection it returns ErrNotConnected: the loop is
// already reconnecting.
func (c *Client) Reconnect(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return ErrClosed
	case c.renewing != nil:
		wait := c.renewing
		c.mu.Unlock()
		select {
		case <-wait:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("mqttx: reconnect: %w", ctx.Err())
		}
	case c.run == nil || !c.connected:
		c.mu.Unlock()
		return ErrNotConnected
	}
	done := make(chan struct{})
	c.renewing = done
	ups := c.ups
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.renewing = nil
		c.mu.Unlock()
		close(done)
	}()

	// Let the publishes in flight finish: their acknowledgements would be
	// lost with the connection. New ones wait in beginPublish.
	for {
		c.mu.Lock()
		n := c.inflight
		c.mu.Unlock()
		if n == 0 {
			break
		}
		if !sleep(ctx, 5*time.Millisecond) {
			return fmt.Errorf("mqttx: reconnect: waiting for publishes in flight: %w", ctx.Err())
		}
	}

	c.mu.Lock()
	c.reconnectNow = true
	c.mu.Unlock()
	c.log.Info("mqttx: reconnecting for fresh credentials")
	c.paho.Disconnect(uint(reconnectQuiesce / time.Millisecond))
	c.connectionLost()

	for {
		c.mu.Lock()
		up, closed := c.connected && c.ups > ups, c.closed
		c.mu.Unlock()
		switch {
		case up:
			return nil
		case closed:
			return ErrClosed
		}
		if !sleep(ctx, 5*time.Millisecond) {
			return fmt.Errorf("mqttx: reconnect: %w", ctx.Err())
		}
	}
}

// beginPublish holds a publish while Reconnect replaces the connection,
// then reports the client's state and, for QoS > 0 on a live connection,
// counts the publish in flight (the caller must call endPublish).
func (c *Client) beginPublish(ctx context.Context, qos byte) (closed, connected bool, err error) {
	for {
		c.mu.Lock()
		wait := c.renewing
		if wait == nil {
			closed, connected = c.closed, c.connected
			if !closed && connected && qos > 0 {
				c.inflight++
			}
			c.mu.Unlock()
			return closed, connected, nil
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, false, fmt.Errorf("mqttx: publish: waiting for the reconnect: %w", ctx.Err())
		}
	}
}

func (c *Client) endPublish() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
}
