package mqttxtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// timeout bounds every wait in the tests.
const timeout = 5 * time.Second

// client speaks raw MQTT packets (paho's codec) over a net.Conn so tests assert exact packets.
type client struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

func newClient(t testing.TB, conn net.Conn) *client {
	t.Helper()
	t.Cleanup(func() { _ = conn.Close() })
	return &client{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// dial opens a raw TCP client.
func dial(t testing.TB, b *Broker) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(b.URL(), "tcp://"), timeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return newClient(t, conn)
}

// pipe opens a raw in-memory client.
func pipe(t testing.TB, b *Broker) *client {
	t.Helper()
	conn, err := b.DialPipe(context.Background())
	if err != nil {
		t.Fatalf("DialPipe: %v", err)
	}
	return newClient(t, conn)
}

func (c *client) send(pkts ...packets.ControlPacket) {
	c.t.Helper()
	var buf bytes.Buffer
	for _, p := range pkts {
		if err := p.Write(&buf); err != nil {
			c.t.Fatalf("encode %v: %v", p, err)
		}
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// tryRead reads one packet within d.
func (c *client) tryRead(d time.Duration) (packets.ControlPacket, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	return packets.ReadPacket(c.br)
}

func (c *client) read() packets.ControlPacket {
	c.t.Helper()
	p, err := c.tryRead(timeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

// expectClosed asserts that the broker closes the connection with no further packet.
func (c *client) expectClosed() {
	c.t.Helper()
	p, err := c.tryRead(timeout)
	if err == nil {
		c.t.Fatalf("got %v, want the connection closed", p)
	}
	if isTimeout(err) {
		c.t.Fatalf("connection still open after %v", timeout)
	}
}

// expectNothing asserts that no packet arrives within d and the connection stays open.
func (c *client) expectNothing(d time.Duration) {
	c.t.Helper()
	p, err := c.tryRead(d)
	if err == nil {
		c.t.Fatalf("got %v, want nothing", p)
	}
	if !isTimeout(err) {
		c.t.Fatalf("connection ended: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func expect[P packets.ControlPacket](c *client) P {
	c.t.Helper()
	p := c.read()
	got, ok := p.(P)
	if !ok {
		var want P
		c.t.Fatalf("got %v, want %T", p, want)
	}
	return got
}

func connectPacket(id string, clean bool) *packets.ConnectPacket {
	p := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	p.ProtocolName, p.ProtocolVersion = "MQTT", 4
	p.ClientIdentifier, p.CleanSession = id, clean
	return p
}

// connect sends CONNECT and returns the CONNACK.
func (c *client) connect(p *packets.ConnectPacket) *packets.ConnackPacket {
	c.t.Helper()
	c.send(p)
	return expect[*packets.ConnackPacket](c)
}

// mustConnect connects and asserts acceptance and the session-present flag.
func (c *client) mustConnect(id string, clean, present bool) *client {
	c.t.Helper()
	ack := c.connect(connectPacket(id, clean))
	if ack.ReturnCode != 0 || ack.SessionPresent != present {
		c.t.Fatalf("CONNACK code %d present %t, want 0 present %t", ack.ReturnCode, ack.SessionPresent, present)
	}
	return c
}

func subscribePacket(id uint16, filters []string, qos []byte) *packets.SubscribePacket {
	p := packets.NewControlPacket(packets.Subscribe).(*packets.SubscribePacket)
	p.MessageID, p.Topics, p.Qoss = id, filters, qos
	return p
}

// subscribe subscribes to one filter and asserts the granted QoS.
func (c *client) subscribe(filter string, qos, granted byte) {
	c.t.Helper()
	c.send(subscribePacket(1, []string{filter}, []byte{qos}))
	ack := expect[*packets.SubackPacket](c)
	if ack.MessageID != 1 || !bytes.Equal(ack.ReturnCodes, []byte{granted}) {
		c.t.Fatalf("SUBACK id %d codes %v, want id 1 codes [%d]", ack.MessageID, ack.ReturnCodes, granted)
	}
}

func publish(topic, payload string, qos byte, retain bool, id uint16) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.TopicName, p.Payload, p.Qos, p.Retain, p.MessageID = topic, []byte(payload), qos, retain, id
	return p
}

func puback(id uint16) *packets.PubackPacket {
	p := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
	p.MessageID = id
	return p
}

// expectPublish reads a PUBLISH and checks topic, payload, QoS, retain and DUP.
func (c *client) expectPublish(topic, payload string, qos byte, retain, dup bool) *packets.PublishPacket {
	c.t.Helper()
	p := expect[*packets.PublishPacket](c)
	if p.TopicName != topic || string(p.Payload) != payload || p.Qos != qos || p.Retain != retain || p.Dup != dup {
		c.t.Fatalf("got PUBLISH %q %q qos %d retain %t dup %t, want %q %q qos %d retain %t dup %t",
			p.TopicName, p.Payload, p.Qos, p.Retain, p.Dup, topic, payload, qos, retain, dup)
	}
	if (qos > 0) != (p.MessageID != 0) {
		c.t.Fatalf("PUBLISH qos %d with packet id %d", p.Qos, p.MessageID)
	}
	return p
}

func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
