package mqttxtest

import (
	"context"
	"fmt"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// handleConnect answers the CONNECT: a protocol violation closes the connection without a reply, a
// refusal sends CONNACK with a non-zero code and closes, an acceptance attaches the session.
func (c *conn) handleConnect(cp *packets.ConnectPacket) error {
	b := c.b
	switch {
	case cp.ProtocolName == "MQTT" && cp.ProtocolVersion == 4, cp.ProtocolName == "MQIsdp" && cp.ProtocolVersion == 3:
	case cp.ProtocolName == "MQTT" || cp.ProtocolName == "MQIsdp":
		return c.refuse(packets.ErrRefusedBadProtocolVersion)
	default:
		return fmt.Errorf("%w: protocol name %q", errProtocol, cp.ProtocolName)
	}
	switch {
	case cp.ReservedBit != 0:
		return fmt.Errorf("%w: reserved CONNECT flag set", errProtocol)
	case cp.PasswordFlag && !cp.UsernameFlag:
		return fmt.Errorf("%w: password without user name", errProtocol)
	case !cp.WillFlag && (cp.WillQos != 0 || cp.WillRetain):
		return fmt.Errorf("%w: will QoS or retain without will", errProtocol)
	case cp.WillFlag && (cp.WillQos > 2 || !validTopicName(cp.WillTopic)):
		return fmt.Errorf("%w: invalid will", errProtocol)
	case cp.WillFlag && cp.WillQos == 2 && b.cfg.qos2 == QoS2Disconnect:
		return fmt.Errorf("%w: QoS 2 will", errQoS2)
	case !validString(cp.Username):
		return fmt.Errorf("%w: invalid user name", errProtocol)
	}
	id := cp.ClientIdentifier
	if !validString(id) {
		return c.refuse(packets.ErrRefusedIDRejected)
	}
	if id == "" {
		if !cp.CleanSession {
			return c.refuse(packets.ErrRefusedIDRejected)
		}
		id = autoClientID()
	}
	if code, ok := b.takeRefusal(); ok {
		return c.refuse(code)
	}
	if auth := b.cfg.authenticate; auth != nil {
		code := auth(ConnectInfo{
			ClientID:         cp.ClientIdentifier,
			Username:         cp.Username,
			Password:         cp.Password,
			HasPassword:      cp.PasswordFlag,
			CleanSession:     cp.CleanSession,
			KeepAlive:        cp.Keepalive,
			PeerCertificates: c.peerCerts,
			ProtocolLevel:    cp.ProtocolVersion,
			RemoteAddr:       c.nc.RemoteAddr(),
		})
		if code != packets.Accepted {
			return c.refuse(code)
		}
	}
	var will *Message
	if cp.WillFlag {
		will = &Message{Topic: cp.WillTopic, Payload: cp.WillMessage, QoS: cp.WillQos, Retain: cp.WillRetain}
		if will.QoS == 2 && b.cfg.qos2 != QoS2Allow {
			will.QoS = 1
		}
	}
	return b.attach(c, id, cp.CleanSession, will)
}

// refuse answers CONNACK code and closes the connection once it is written.
func (c *conn) refuse(code byte) error {
	c.b.mu.Lock()
	c.b.stats.ConnectsRefused++
	c.b.mu.Unlock()
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.ReturnCode = code
	c.enqueue(ack)
	c.closeAfterQueued()
	return fmt.Errorf("%w: code %d", errRefused, code)
}

// takeoverGrace is how long a CONNECT with the client id of a connected client waits for that client's
// connection to end by itself before closing it. Connections are read concurrently: without it, a
// client that sent DISCONNECT and reconnected at once could have its new CONNECT handled before its
// DISCONNECT, and its will published; mosquitto, reading in arrival order, never does that.
const takeoverGrace = 100 * time.Millisecond

// attach accepts the connection as clientID: it closes an older connection with that id, resumes or
// creates the session, and queues CONNACK followed by the session's unacknowledged and queued messages.
func (b *Broker) attach(c *conn, id string, clean bool, will *Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), takeoverGrace)
	_ = b.WaitDisconnected(ctx, id)
	cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.gone {
		return ErrClosed
	}
	if old := b.clients[id]; old != nil {
		b.stats.Takeovers++
		// As mosquitto does, the old connection's will is published unless its session lives on
		// (both connections persistent).
		b.dropLocked(old, old.sess.clean || clean, errTakeover)
	}
	s := b.sessions[id]
	present := !clean && s != nil && !s.clean
	if !present {
		s = newSession(id, clean)
		b.sessions[id] = s
	}
	c.clientID, c.sess, c.will, c.connected = id, s, will, true
	s.conn = c
	b.clients[id] = c
	b.stats.Connects++
	b.notifyLocked()
	if n, ok := b.takeDisconnectAfter(id); ok {
		c.setBudget(n)
	}
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.SessionPresent = present
	c.enqueue(ack)
	b.resumeLocked(s)
	b.log.Debug("mqttxtest: client connected", "client", id, "transport", c.kind,
		"clean", clean, "session_present", present)
	return nil
}

// drop removes c from the broker and closes it; will says whether its will is published.
func (b *Broker) drop(c *conn, will bool, reason error) {
	b.mu.Lock()
	b.dropLocked(c, will, reason)
	b.mu.Unlock()
}

func (b *Broker) dropLocked(c *conn, will bool, reason error) {
	if c.gone {
		return
	}
	c.gone = true
	c.close()
	delete(b.conns, c)
	if !c.connected {
		return
	}
	b.stats.Disconnects++
	if b.clients[c.clientID] == c {
		delete(b.clients, c.clientID)
		b.notifyLocked()
	}
	if s := c.sess; s != nil && s.conn == c {
		s.conn = nil
		if s.clean && b.sessions[s.id] == s {
			delete(b.sessions, s.id)
		}
	}
	if will && c.will != nil && !b.closed {
		b.routeLocked(*c.will)
	}
	c.will = nil
	b.log.Debug("mqttxtest: client disconnected", "client", c.clientID, "reason", reason)
}

// handle handles one packet after CONNECT; an error closes the connection.
func (c *conn) handle(pkt packets.ControlPacket) error {
	switch p := pkt.(type) {
	case *packets.PublishPacket:
		return c.handlePublish(p)
	case *packets.PubackPacket:
		c.b.acked(c, p.MessageID, packets.Puback)
	case *packets.PubrecPacket:
		c.b.acked(c, p.MessageID, packets.Pubrec)
	case *packets.PubcompPacket:
		c.b.acked(c, p.MessageID, packets.Pubcomp)
	case *packets.PubrelPacket:
		if p.Qos != 1 || p.Dup || p.Retain {
			return fmt.Errorf("%w: PUBREL flags", errProtocol)
		}
		c.b.mu.Lock()
		if !c.gone {
			delete(c.sess.qos2In, p.MessageID)
		}
		c.b.mu.Unlock()
		comp := packets.NewControlPacket(packets.Pubcomp).(*packets.PubcompPacket)
		comp.MessageID = p.MessageID
		c.enqueue(comp)
	case *packets.SubscribePacket:
		return c.handleSubscribe(p)
	case *packets.UnsubscribePacket:
		return c.handleUnsubscribe(p)
	case *packets.PingreqPacket:
		c.enqueue(packets.NewControlPacket(packets.Pingresp))
	case *packets.DisconnectPacket:
		return errClientDisconnect
	default:
		return fmt.Errorf("%w: unexpected %s", errProtocol, packetName(pkt))
	}
	return nil
}

func (c *conn) handlePublish(p *packets.PublishPacket) error {
	b := c.b
	b.messagesIn.Add(1)
	switch {
	case p.Qos > 2:
		return fmt.Errorf("%w: PUBLISH QoS 3", errProtocol)
	case p.Qos == 0 && p.Dup:
		return fmt.Errorf("%w: DUP on QoS 0", errProtocol)
	case p.Qos > 0 && p.MessageID == 0:
		return fmt.Errorf("%w: packet id 0", errProtocol)
	case !validTopicName(p.TopicName):
		return fmt.Errorf("%w: invalid topic name", errProtocol)
	}
	m := Message{Topic: p.TopicName, Payload: p.Payload, QoS: p.Qos, Retain: p.Retain, Duplicate: p.Dup}
	b.mu.Lock()
	b.record(c.clientID, m)
	seen := false
	if p.Qos == 2 && b.cfg.qos2 != QoS2Disconnect && !c.gone {
		// Method A of MQTT 3.1.1 §4.3.3: route on PUBLISH, remember the id until PUBREL.
		_, seen = c.sess.qos2In[p.MessageID]
		c.sess.qos2In[p.MessageID] = struct{}{}
	}
	b.mu.Unlock()
	if p.Qos == 2 && b.cfg.qos2 == QoS2Disconnect {
		return errQoS2
	}
	if !seen {
		route, err := c.admit(m)
		if err != nil {
			return err
		}
		if route {
			m.Duplicate = false
			if m.QoS == 2 && b.cfg.qos2 != QoS2Allow {
				m.QoS = 1
			}
			b.mu.Lock()
			b.routeLocked(m)
			b.mu.Unlock()
		}
	}
	switch p.Qos {
	case 1:
		ack := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
		ack.MessageID = p.MessageID
		c.sendAck(ack)
	case 2:
		rec := packets.NewControlPacket(packets.Pubrec).(*packets.PubrecPacket)
		rec.MessageID = p.MessageID
		c.sendAck(rec)
	}
	return nil
}

// admit consults the authorizer and the interceptor; route reports whether m goes on to subscribers.
func (c *conn) admit(m Message) (route bool, err error) {
	if authorize := c.b.cfg.authorize; authorize != nil {
		switch authorize(Action{ClientID: c.clientID, Topic: m.Topic, QoS: m.QoS, Payload: m.Payload, Retain: m.Retain}) {
		case Allow:
		case Disconnect:
			return false, errNotAuthorized
		default:
			return false, nil
		}
	}
	if intercept := c.b.cfg.intercept; intercept != nil && intercept(c.clientID, m) {
		return false, nil
	}
	return true, nil
}

// sendAck queues a PUBACK or PUBREC, unless acknowledgements to this client are withheld or delayed.
func (c *conn) sendAck(pkt packets.ControlPacket) {
	withhold, delay := c.b.ackFaults(c.clientID)
	switch {
	case withhold:
	case delay > 0:
		c.enqueueAfter(delay, pkt)
	default:
		c.enqueue(pkt)
	}
}

func (c *conn) handleSubscribe(p *packets.SubscribePacket) error {
	b := c.b
	if p.Qos != 1 || p.Dup || p.Retain {
		return fmt.Errorf("%w: SUBSCRIBE flags", errProtocol)
	}
	if p.MessageID == 0 || len(p.Topics) == 0 {
		return fmt.Errorf("%w: SUBSCRIBE without packet id or filters", errProtocol)
	}
	var maxQoS byte = 1
	if b.cfg.qos2 == QoS2Allow {
		maxQoS = 2
	}
	codes := make([]byte, len(p.Topics))
	for i, f := range p.Topics {
		q := p.Qoss[i]
		if q > 2 || !validTopicFilter(f) {
			return fmt.Errorf("%w: invalid subscription %q QoS %d", errProtocol, f, q)
		}
		codes[i] = min(q, maxQoS)
		if authorize := b.cfg.authorize; authorize != nil {
			switch authorize(Action{ClientID: c.clientID, Subscribe: true, Topic: f, QoS: q}) {
			case Allow:
			case Disconnect:
				return errNotAuthorized
			default:
				codes[i] = 0x80
			}
		}
	}
	ack := packets.NewControlPacket(packets.Suback).(*packets.SubackPacket)
	ack.MessageID = p.MessageID
	ack.ReturnCodes = codes
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.gone {
		return ErrClosed
	}
	c.enqueue(ack)
	for i, f := range p.Topics {
		if codes[i] != 0x80 {
			c.sess.subs[f] = codes[i]
			b.sendRetainedLocked(c.sess, f, codes[i])
		}
	}
	return nil
}

func (c *conn) handleUnsubscribe(p *packets.UnsubscribePacket) error {
	if p.Qos != 1 || p.Dup || p.Retain {
		return fmt.Errorf("%w: UNSUBSCRIBE flags", errProtocol)
	}
	if p.MessageID == 0 || len(p.Topics) == 0 {
		return fmt.Errorf("%w: UNSUBSCRIBE without packet id or filters", errProtocol)
	}
	for _, f := range p.Topics {
		if !validTopicFilter(f) {
			return fmt.Errorf("%w: invalid filter %q", errProtocol, f)
		}
	}
	ack := packets.NewControlPacket(packets.Unsuback).(*packets.UnsubackPacket)
	ack.MessageID = p.MessageID
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.gone {
		return ErrClosed
	}
	for _, f := range p.Topics {
		delete(c.sess.subs, f)
	}
	c.enqueue(ack)
	return nil
}
