package mqttxtest

import (
	"sort"
	"strings"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/tether-iot/tether/mqttx"
)

// session is a client's state that may outlive its connection. All fields are guarded by Broker.mu.
type session struct {
	id       string
	clean    bool
	subs     map[string]byte // filter → granted QoS
	conn     *conn           // nil while the client is away
	nextID   uint16
	inflight []*outbound         // sent, not fully acknowledged, in send order
	queue    []Message           // waiting for the client or for room in the inflight window
	qos2In   map[uint16]struct{} // inbound QoS 2 ids received and not yet released
}

// outbound is a QoS 1 or 2 message sent to the client and not yet acknowledged.
type outbound struct {
	id       uint16
	msg      Message
	released bool // QoS 2: PUBREC received, PUBREL sent, PUBCOMP awaited
}

func newSession(id string, clean bool) *session {
	return &session{id: id, clean: clean, subs: make(map[string]byte), qos2In: make(map[uint16]struct{})}
}

// routeLocked stores or clears a retained message and delivers m to every matching session, once per
// session (as mosquitto does) at the highest QoS its matching subscriptions grant (MQTT-3.3.5-1).
func (b *Broker) routeLocked(m Message) {
	if m.Retain {
		if len(m.Payload) == 0 {
			delete(b.retained, m.Topic)
		} else {
			b.retained[m.Topic] = m
		}
	}
	// MQTT 3.1.1 §3.3.1.3: RETAIN is 0 on delivery to established subscriptions.
	m.Retain = false
	m.Duplicate = false
	for _, s := range b.sessions {
		granted, ok := s.granted(m.Topic, b.matches)
		if !ok {
			continue
		}
		d := m
		d.QoS = min(m.QoS, granted)
		b.deliverLocked(s, d)
	}
}

// granted returns the highest QoS among s's subscriptions matching topic.
func (s *session) granted(topic string, match func(filter, topic string) bool) (qos byte, ok bool) {
	for f, q := range s.subs {
		if match(f, topic) {
			qos, ok = max(qos, q), true
		}
	}
	return qos, ok
}

// matches is mqttx.MatchTopic with the broker's WithoutParentMatch option applied.
func (b *Broker) matches(filter, topic string) bool {
	if !mqttx.MatchTopic(filter, topic) {
		return false
	}
	// "#" matched the parent level when the filter has more levels than the topic.
	return !b.cfg.noParentMatch || strings.Count(filter, "/") <= strings.Count(topic, "/")
}

// sendRetainedLocked delivers the retained messages matching a filter just subscribed to.
func (b *Broker) sendRetainedLocked(s *session, filter string, granted byte) {
	if b.cfg.noWildRetained && strings.ContainsAny(filter, "+#") {
		return
	}
	topics := make([]string, 0, len(b.retained))
	for t := range b.retained {
		if b.matches(filter, t) {
			topics = append(topics, t)
		}
	}
	sort.Strings(topics)
	for _, t := range topics {
		m := b.retained[t]
		m.QoS = min(m.QoS, granted)
		m.Retain = true
		b.deliverLocked(s, m)
	}
}

// deliverLocked sends m to s now if it can, or queues it: QoS 0 goes to a connected client only; QoS 1
// and 2 wait for room in the inflight window and, for a persistent session, for the client's return.
func (b *Broker) deliverLocked(s *session, m Message) {
	if m.QoS == 0 {
		if s.conn != nil {
			s.conn.enqueue(publishPacket(m, 0, false))
		}
		return
	}
	if s.conn != nil && len(s.queue) == 0 && len(s.inflight) < b.cfg.maxInflight {
		b.sendLocked(s, m)
		return
	}
	if len(s.queue) >= b.cfg.maxQueued {
		b.stats.Dropped++
		return
	}
	s.queue = append(s.queue, m)
}

// sendLocked sends a QoS 1 or 2 message to s's connection and tracks it until acknowledged.
func (b *Broker) sendLocked(s *session, m Message) {
	id := s.allocID()
	s.inflight = append(s.inflight, &outbound{id: id, msg: m})
	s.conn.enqueue(publishPacket(m, id, false))
	if m.QoS == 1 && b.duplicating() {
		s.conn.enqueue(publishPacket(m, id, true))
	}
}

// pumpLocked moves queued messages into the inflight window.
func (b *Broker) pumpLocked(s *session) {
	for s.conn != nil && len(s.queue) > 0 && len(s.inflight) < b.cfg.maxInflight {
		m := s.queue[0]
		s.queue[0] = Message{}
		s.queue = s.queue[1:]
		b.sendLocked(s, m)
	}
}

// resumeLocked redelivers, on a new connection, what the session sent and was not acknowledged (PUBLISH
// with DUP set, or PUBREL), then the queued messages.
func (b *Broker) resumeLocked(s *session) {
	for _, o := range s.inflight {
		if o.released {
			s.conn.enqueue(pubrelPacket(o.id))
		} else {
			s.conn.enqueue(publishPacket(o.msg, o.id, true))
		}
	}
	b.pumpLocked(s)
}

// acked handles PUBACK, PUBREC and PUBCOMP from the client.
func (b *Broker) acked(c *conn, id uint16, kind byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.gone {
		return
	}
	s := c.sess
	i := s.inflightIndex(id)
	switch kind {
	case packets.Puback:
		if i >= 0 && s.inflight[i].msg.QoS == 1 {
			s.removeInflight(i)
		}
	case packets.Pubrec:
		if i >= 0 && s.inflight[i].msg.QoS == 2 {
			s.inflight[i].released = true
		}
		c.enqueue(pubrelPacket(id))
	case packets.Pubcomp:
		if i >= 0 && s.inflight[i].msg.QoS == 2 {
			s.removeInflight(i)
		}
	}
	b.pumpLocked(s)
}

func (s *session) inflightIndex(id uint16) int {
	for i, o := range s.inflight {
		if o.id == id {
			return i
		}
	}
	return -1
}

func (s *session) removeInflight(i int) {
	copy(s.inflight[i:], s.inflight[i+1:])
	s.inflight[len(s.inflight)-1] = nil
	s.inflight = s.inflight[:len(s.inflight)-1]
}

// allocID returns the next packet id not in flight (never 0).
func (s *session) allocID() uint16 {
	for {
		s.nextID++
		if s.nextID != 0 && s.inflightIndex(s.nextID) < 0 {
			return s.nextID
		}
	}
}

func publishPacket(m Message, id uint16, dup bool) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.TopicName = m.Topic
	p.Payload = m.Payload
	p.Qos = m.QoS
	p.Retain = m.Retain
	p.Dup = dup
	if m.QoS > 0 {
		p.MessageID = id
	}
	return p
}

func pubrelPacket(id uint16) *packets.PubrelPacket {
	p := packets.NewControlPacket(packets.Pubrel).(*packets.PubrelPacket)
	p.MessageID = id
	return p
}
