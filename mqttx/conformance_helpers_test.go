package mqttx_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/tether-iot/tether/mqttx"
)

// quietPeriod is how long a conformance test waits to conclude that something did NOT happen when no
// later message can prove it (a will after a clean DISCONNECT).
const quietPeriod = 200 * time.Millisecond

// wirePublish is a PUBLISH the broker sent through a wireProxy.
type wirePublish struct {
	Conn      int // 1-based index of the proxied connection it was sent on
	Topic     string
	Payload   string
	QoS       byte
	Dup       bool
	Retain    bool
	Forwarded bool // false while the proxy was blackholing the server-to-client direction
}

// wireProxy is a loopback TCP proxy that decodes every packet the broker sends to the client before
// forwarding it unchanged, so tests see what was on the wire (mqttx's own filtering cannot hide a
// broker bug). It can cut its connections (the broker sees the client vanish: mosquitto cannot drop
// one client on command), refuse new ones, and blackhole the server-to-client direction.
type wireProxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	conns     []net.Conn
	nconns    int
	seen      []wirePublish
	connacks  []*packets.ConnackPacket
	blackhole bool
	down      bool
	changed   chan struct{} // closed and replaced whenever seen or connacks grow
	wg        sync.WaitGroup
}

func newWireProxy(t *testing.T, targetURL string) *wireProxy {
	t.Helper()
	u, err := url.Parse(targetURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &wireProxy{ln: ln, target: u.Host, changed: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *wireProxy) URL() string { return "tcp://" + p.ln.Addr().String() }

func (p *wireProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.nconns++
		idx := p.nconns
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { // client -> server
			defer p.wg.Done()
			defer s.Close()
			_, _ = io.Copy(s, c)
		}()
		go func() { // server -> client, decoded
			defer p.wg.Done()
			defer c.Close()
			var raw bytes.Buffer
			r := io.TeeReader(bufio.NewReader(s), &raw)
			for {
				raw.Reset()
				pkt, err := packets.ReadPacket(r) // reads exactly one packet
				if err != nil {
					return
				}
				if forward := p.record(idx, pkt); forward {
					if _, err := c.Write(raw.Bytes()); err != nil {
						return
					}
				}
			}
		}()
	}
}

// record notes a packet from the server and reports whether to forward it.
func (p *wireProxy) record(conn int, pkt packets.ControlPacket) (forward bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	forward = !p.blackhole
	switch pkt := pkt.(type) {
	case *packets.PublishPacket:
		p.seen = append(p.seen, wirePublish{Conn: conn, Topic: pkt.TopicName, Payload: string(pkt.Payload),
			QoS: pkt.Qos, Dup: pkt.Dup, Retain: pkt.Retain, Forwarded: forward})
	case *packets.ConnackPacket:
		p.connacks = append(p.connacks, pkt)
	default:
		return forward
	}
	close(p.changed)
	p.changed = make(chan struct{})
	return forward
}

// Cut closes every proxied connection.
func (p *wireProxy) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Down makes the proxy close new connections at once (on) or proxy them again (off).
func (p *wireProxy) Down(on bool) {
	p.mu.Lock()
	p.down = on
	p.mu.Unlock()
}

// Blackhole makes the proxy decode but drop (on) or forward again (off) what the server sends.
func (p *wireProxy) Blackhole(on bool) {
	p.mu.Lock()
	p.blackhole = on
	p.mu.Unlock()
}

// publishes returns the PUBLISH packets the server sent so far.
func (p *wireProxy) publishes() []wirePublish {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wirePublish(nil), p.seen...)
}

// sessionPresent returns the session-present flag of every CONNACK so far.
func (p *wireProxy) sessionPresent() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []bool
	for _, c := range p.connacks {
		out = append(out, c.SessionPresent)
	}
	return out
}

// waitPublish waits until the server has sent a PUBLISH satisfying match and returns it.
func (p *wireProxy) waitPublish(t *testing.T, what string, match func(wirePublish) bool) wirePublish {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		changed := p.changed
		for _, w := range p.seen {
			if match(w) {
				p.mu.Unlock()
				return w
			}
		}
		p.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the broker sent no %s within 10s; it sent %+v", what, p.publishes())
		}
	}
}

// countPublishes counts the PUBLISH packets the server sent with topic and payload.
func (p *wireProxy) countPublishes(topic, payload string) (n int) {
	for _, w := range p.publishes() {
		if w.Topic == topic && w.Payload == payload {
			n++
		}
	}
	return n
}

// until returns the messages the inbox receives up to and including the first one on topic stop.
// Messages of one subscription reach its handler in order, so a sentinel published last, matching the
// same subscription, proves that everything before it has been handled.
func (b *inbox) until(t *testing.T, stop string) []mqttx.Message {
	t.Helper()
	return b.untilMatch(t, func(m mqttx.Message) bool { return m.Topic == stop })
}

// untilMatch returns the messages the inbox receives up to and including the first one matching stop.
func (b *inbox) untilMatch(t *testing.T, stop func(mqttx.Message) bool) []mqttx.Message {
	t.Helper()
	var got []mqttx.Message
	for {
		m := b.next(t)
		got = append(got, m)
		if stop(m) {
			return got
		}
	}
}

// mustSubscribe subscribes c to filter with the inbox's handler.
func mustSubscribe(t *testing.T, c *mqttx.Client, filter string, qos byte, in *inbox) {
	t.Helper()
	if err := c.Subscribe(timeoutCtx(t, 10*time.Second), filter, qos, in.handler); err != nil {
		t.Fatalf("Subscribe(%q, %d): %v", filter, qos, err)
	}
}

// mustPublish publishes and, for QoS 1 and 2, waits for the acknowledgement.
func mustPublish(t *testing.T, c *mqttx.Client, topic, payload string, qos byte, retain bool) {
	t.Helper()
	if err := c.Publish(timeoutCtx(t, 10*time.Second), topic, []byte(payload), qos, retain); err != nil {
		t.Fatalf("Publish(%q, QoS %d): %v", topic, qos, err)
	}
}

// connectedClient returns a connected client for server with a unique client id.
func connectedClient(t *testing.T, server string) *mqttx.Client {
	t.Helper()
	c := newClient(t, testOptions(t, server))
	connect(t, c)
	return c
}

// disconnect disconnects c now (the newClient cleanup then finds it closed).
func disconnect(t *testing.T, c *mqttx.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
}

// summary renders messages as topic=payload(QoS) for failure messages.
func summary(ms []mqttx.Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		s := fmt.Sprintf("%s=%s(q%d", m.Topic, m.Payload, m.QoS)
		if m.Retained {
			s += ",r"
		}
		if m.Duplicate {
			s += ",dup"
		}
		out = append(out, s+")")
	}
	return out
}
