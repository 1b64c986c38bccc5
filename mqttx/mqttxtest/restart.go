package mqttxtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"
)

// errRestart is why connections closed by Restart ended; it only reaches the log.
var errRestart = errors.New("mqttxtest: broker restarted")

// Rebinding a port just released can fail for a moment (a client's ephemeral port, another process's
// ":0" listener): Restart retries every rebindInterval for up to rebindTimeout.
const (
	rebindTimeout  = 5 * time.Second
	rebindInterval = 10 * time.Millisecond
)

// Restart restarts the broker the way a broker process restarts: it goes down, stays down for down, and
// listens again on the same addresses. Use it to test what devices do when their broker restarts.
//
// Going down closes every listener and every connection at once, without sending a packet, as clients
// see a broker process exit. The connected clients' wills are then published, as mosquitto does when it
// shuts down: no connection is left to receive them, but a persistent session subscribed to a will's
// topic queues it (QoS 1 and 2) and a retained will is stored. Clean sessions end with their connections.
// The rest is kept, as a broker with persistence keeps it (mosquitto with "persistence true", AWS IoT
// Core, Azure IoT Hub): persistent sessions with their subscriptions and their unacknowledged and queued
// QoS 1 and 2 messages, and retained messages; and so is what tests inspect and inject (Received, Stats,
// the faults, except a DisconnectAfter counting down on a connection that is gone).
//
// While the broker is down nothing listens on its ports: TCP, TLS and WebSocket dials are refused by the
// operating system (connection refused), and DialPipe, Publish and PublishTo return ErrDown.
//
// Then the listeners are opened again on the same ports, with the same server certificate: URL, TLSURL,
// WSURL and WSSURL do not change. Restart returns once they accept connections.
//
// If ctx ends while the broker is down, the broker comes back up at once and Restart returns ctx's
// error, so that a cancelled ctx never leaves it down. If a port cannot be bound again (another process
// took it), the broker stays down and Restart returns the error; Close still works. After Close, or when
// Close is called while it waits, Restart returns ErrClosed. Concurrent calls run one after the other.
func (b *Broker) Restart(ctx context.Context, down time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case b.restarting <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stopped:
		return ErrClosed
	}
	defer func() { <-b.restarting }()

	if err := b.goDown(); err != nil {
		return err
	}
	timer := time.NewTimer(down)
	defer timer.Stop()
	var ctxErr error
	select {
	case <-timer.C:
	case <-ctx.Done():
		ctxErr = ctx.Err()
	case <-b.stopped:
		return ErrClosed
	}
	if err := b.comeUp(); err != nil {
		return errors.Join(ctxErr, err)
	}
	return ctxErr
}

// goDown closes the listeners and the connections, then publishes the wills.
func (b *Broker) goDown() error {
	b.mu.Lock()
	if err := b.upLocked(); err != nil {
		b.mu.Unlock()
		return err
	}
	// From here no connection registers: not one accepted by a listener being closed, nor a pipe.
	b.down = true
	b.gen++
	b.stats.Restarts++
	listeners, servers := b.listeners, b.servers
	b.listeners, b.servers = nil, nil
	b.mu.Unlock()

	// The listeners first, so that a client seeing its connection close finds the port closed.
	for _, s := range servers {
		_ = s.Close()
	}
	closeAll(listeners)

	b.mu.Lock()
	defer b.mu.Unlock()
	type will struct {
		client string
		msg    Message
	}
	var wills []will
	for c := range b.conns {
		if c.connected && !c.gone && c.will != nil {
			wills = append(wills, will{c.clientID, *c.will})
		}
		b.dropLocked(c, false, errRestart)
	}
	if b.closed {
		return nil // Close has dropped the connections; Restart will see it
	}
	// Every connection is gone before any will is routed: a will reaches sessions, never a connection
	// about to close. Sorted, so that a test sees the same order every run.
	sort.Slice(wills, func(i, j int) bool { return wills[i].client < wills[j].client })
	for _, w := range wills {
		b.routeLocked(w.msg)
	}
	b.log.Debug("mqttxtest: broker down", "wills", len(wills))
	return nil
}

// comeUp binds the listeners again on their ports and serves them.
func (b *Broker) comeUp() error {
	lns := make([]net.Listener, 0, len(b.endpoints))
	for _, ep := range b.endpoints {
		ln, err := b.rebind(ep.addr)
		if err != nil {
			closeAll(lns)
			return err
		}
		lns = append(lns, ln)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		closeAll(lns)
		return ErrClosed
	}
	b.down = false
	b.serveLocked(lns)
	b.log.Debug("mqttxtest: broker up")
	return nil
}

// rebind listens on addr, retrying while the port is briefly taken.
func (b *Broker) rebind(addr string) (net.Listener, error) {
	deadline := time.Now().Add(rebindTimeout)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("mqttxtest: listen again on %s: %w", addr, err)
		}
		select {
		case <-time.After(rebindInterval):
		case <-b.stopped:
			return nil, ErrClosed
		}
	}
}
