package awsiottest

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tether-iot/tether/transport/awsiot"
)

// The gateway sits between a device and the broker, as AWS's device
// gateway sits before its message broker: it authenticates the CONNECT,
// applies the broker's limits to what the device sends (closing the
// connection on a violation, without a reason, as AWS does), and applies
// AWS's matching rules to what the broker delivers.

// maxUpstreamPacket is the largest packet read from a device: a PUBLISH
// with the longest topic MQTT allows and a payload of
// awsiot.MaxPayloadSize. A bigger one has a payload over the limit.
const maxUpstreamPacket = 2 + 65535 + 2 + awsiot.MaxPayloadSize

// maxDownstreamPacket bounds what the gateway reads from its own broker.
const maxDownstreamPacket = 16 << 20

// deviceInfo is what the TLS or WebSocket layer learnt of a connection.
type deviceInfo struct {
	auth awsiot.AuthMethod
	alpn string
	cert *x509.Certificate
}

// link is one device connection through the gateway.
type link struct {
	e        *Emulator
	dev      net.Conn
	brk      net.Conn // the broker's end, from DialPipe
	clientID string
	conn     int // index in Emulator.connections

	wmu  sync.Mutex // serializes writes to brk
	mu   sync.Mutex
	subs map[string]byte // filter -> QoS AWS grants (at most 1)
	once sync.Once
}

// serveDevice serves one device connection until it ends.
func (e *Emulator) serveDevice(dev net.Conn, info deviceInfo) {
	defer func() { _ = closeRaw(dev) }()
	br := bufio.NewReaderSize(dev, 16<<10)
	_ = dev.SetReadDeadline(time.Now().Add(handshakeTimeout))
	f, err := readFrame(br, maxUpstreamPacket)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			e.violation("", fmt.Errorf("%w: reading CONNECT: %w", ErrProtocol, err))
		}
		return
	}
	if f.kind() != packetConnect {
		e.violation("", fmt.Errorf("%w: first packet is not CONNECT", ErrProtocol))
		return
	}
	cp, err := parseConnect(f.body)
	if err != nil {
		e.violation("", fmt.Errorf("%w: %w", ErrProtocol, err))
		return
	}
	if code, err := e.admit(cp, info); err != nil {
		e.violation(cp.clientID, err)
		if code != 0 {
			_, _ = dev.Write(connack(code))
		}
		return
	}
	_ = dev.SetReadDeadline(time.Time{})
	// AWS applies its keepalive range rather than the one asked for.
	ka := awsiot.ClampKeepAlive(time.Duration(cp.keepAlive) * time.Second)
	binary.BigEndian.PutUint16(f.body[cp.keepAliveAt:], uint16(ka/time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	brk, err := e.broker.DialPipe(ctx)
	cancel()
	if err != nil {
		return
	}
	l := &link{e: e, dev: dev, brk: brk, clientID: cp.clientID, subs: make(map[string]byte)}
	l.conn = e.addConnection(Connection{
		ClientID:     cp.clientID,
		Auth:         info.auth,
		ALPN:         info.alpn,
		Certificate:  info.cert,
		Username:     cp.username,
		KeepAlive:    time.Duration(cp.keepAlive) * time.Second,
		CleanSession: cp.cleanSession,
	})
	defer l.close()
	e.addLink(l)
	defer e.removeLink(l)
	if err := l.toBroker(f.raw); err != nil || !e.track() {
		return
	}
	go func() {
		defer e.wg.Done()
		l.downstream()
	}()
	l.upstream(br)
}

// admit checks a CONNECT as AWS IoT Core does. A refusal with a non-zero
// code is answered with that CONNACK; with code 0 the connection is just
// closed.
func (e *Emulator) admit(cp connectPacket, info deviceInfo) (code byte, err error) {
	if err := awsiot.ValidateClientID(cp.clientID); err != nil {
		return 2, err
	}
	if cp.will {
		if err := awsiot.ValidateQoS(cp.willQoS); err != nil {
			return 0, fmt.Errorf("will: %w", err)
		}
		if err := awsiot.ValidateTopic(cp.willTopic); err != nil {
			return 0, fmt.Errorf("will: %w", err)
		}
	}
	if info.auth != awsiot.AuthCustomAuthorizer {
		return 0, nil
	}
	user, query, _ := strings.Cut(cp.username, "?")
	params, perr := url.ParseQuery(query)
	name := params.Get(awsiot.AuthorizerNameParam)
	a, ok := e.cfg.authorizers[name]
	switch {
	case perr != nil || name == "":
		return 5, fmt.Errorf("%w: the username names no custom authorizer", ErrNotAuthorized)
	case !ok:
		return 5, fmt.Errorf("%w: unknown custom authorizer %q", ErrNotAuthorized, name)
	}
	req := AuthorizerRequest{
		Name:      name,
		Signature: params.Get(awsiot.AuthorizerSignatureParam),
		Username:  user,
		Password:  cp.password,
		ClientID:  cp.clientID,
	}
	if a.tokenKeyName != "" {
		req.Token = params.Get(a.tokenKeyName)
	}
	if !a.authorize(req) {
		return 5, fmt.Errorf("%w: custom authorizer %q refused the connection", ErrNotAuthorized, name)
	}
	return 0, nil
}

func (l *link) close() {
	l.once.Do(func() {
		_ = closeRaw(l.dev)
		_ = l.brk.Close()
	})
}

func (l *link) toBroker(p []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	_, err := l.brk.Write(p)
	return err
}

// upstream forwards the device's packets to the broker after AWS's checks.
func (l *link) upstream(br *bufio.Reader) {
	for {
		f, err := readFrame(br, maxUpstreamPacket)
		switch {
		case errors.Is(err, errFrameTooLarge) && f.raw[0]>>4 == packetPublish:
			l.e.violation(l.clientID, fmt.Errorf("PUBLISH: %w: %w", awsiot.ErrPayloadTooLarge, err))
			return
		case errors.Is(err, errMalformed), errors.Is(err, errFrameTooLarge):
			l.e.violation(l.clientID, fmt.Errorf("%w: %w", ErrProtocol, err))
			return
		case err != nil:
			return // the connection ended
		}
		if err := l.check(f); err != nil {
			l.e.violation(l.clientID, err)
			return
		}
		if err := l.toBroker(f.raw); err != nil {
			return
		}
	}
}

// check applies AWS IoT Core's message broker limits to one packet.
func (l *link) check(f frame) error {
	switch f.kind() {
	case packetPublish:
		p, err := parsePublish(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if err := awsiot.ValidateQoS(p.qos); err != nil {
			return fmt.Errorf("PUBLISH to %q: %w", p.topic, err)
		}
		if err := awsiot.ValidateTopic(p.topic); err != nil {
			return fmt.Errorf("PUBLISH: %w", err)
		}
		if err := awsiot.ValidatePayloadSize(len(p.payload)); err != nil {
			return fmt.Errorf("PUBLISH to %q: %w", p.topic, err)
		}
	case packetSubscribe:
		filters, qos, err := parseSubscribe(f.body)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		l.e.addSubscribe(l.conn, filters)
		if err := awsiot.ValidateSubscribe(filters); err != nil {
			return fmt.Errorf("SUBSCRIBE: %w", err)
		}
		l.mu.Lock()
		for i, flt := range filters {
			l.subs[flt] = min(qos[i], 1) // AWS grants QoS 2 as 1
		}
		n := len(l.subs)
		l.mu.Unlock()
		if err := awsiot.ValidateSubscriptionCount(n); err != nil {
			return fmt.Errorf("SUBSCRIBE: %w", err)
		}
	case packetUnsubscribe:
		filters, err := parseUnsubscribe(f.body)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		l.mu.Lock()
		for _, flt := range filters {
			delete(l.subs, flt)
		}
		l.mu.Unlock()
	}
	return nil
}

// downstream forwards the broker's packets to the device, dropping the
// deliveries AWS would not make (acknowledging them to the broker).
func (l *link) downstream() {
	defer l.close()
	br := bufio.NewReaderSize(l.brk, 16<<10)
	for {
		f, err := readFrame(br, maxDownstreamPacket)
		if err != nil {
			return
		}
		if f.kind() == packetPublish {
			p, err := parsePublish(f)
			if err == nil && !l.deliverable(p.topic, p.retain) {
				if p.qos > 0 {
					if err := l.toBroker(puback(p.packetID)); err != nil {
						return
					}
				}
				continue
			}
		}
		if _, err := l.dev.Write(f.raw); err != nil {
			return
		}
	}
}

// deliverable reports whether AWS IoT Core would deliver a message on
// topic to this device: the broker matched it with MQTT's rules, where
// "a/#" also matches "a" and wildcard subscriptions receive retained
// messages; AWS does neither. A message no subscription matches was sent
// to this client directly and is delivered.
func (l *link) deliverable(topic string, retained bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	matched := false
	for f := range l.subs {
		if !mqttMatch(f, topic) {
			continue
		}
		matched = true
		if awsMatch(f, topic) && !(retained && hasWildcard(f)) {
			return true
		}
	}
	return !matched
}

// grantedQoS returns the highest QoS granted to this device's
// subscriptions that match topic with AWS IoT Core's rules, and false when
// none does.
func (l *link) grantedQoS(topic string) (qos byte, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for f, q := range l.subs {
		if awsMatch(f, topic) {
			qos, ok = max(qos, q), true
		}
	}
	return qos, ok
}
