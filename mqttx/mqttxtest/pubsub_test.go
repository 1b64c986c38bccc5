package mqttxtest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Delivered QoS is the minimum of the published QoS and the granted QoS.
func TestPublishQoSDowngradedToGranted(t *testing.T) {
	for pubQoS := byte(0); pubQoS <= 2; pubQoS++ {
		for subQoS := byte(0); subQoS <= 2; subQoS++ {
			t.Run(fmt.Sprintf("pub%d_sub%d", pubQoS, subQoS), func(t *testing.T) {
				b := NewBroker(t)
				sub := dial(t, b).mustConnect("sub", true, false)
				sub.subscribe("a/b", subQoS, subQoS)
				pub := dial(t, b).mustConnect("pub", true, false)
				pub.send(publish("a/b", "hi", pubQoS, false, 7))
				switch pubQoS {
				case 1:
					if ack := expect[*packets.PubackPacket](pub); ack.MessageID != 7 {
						t.Fatalf("PUBACK id %d, want 7", ack.MessageID)
					}
				case 2:
					if rec := expect[*packets.PubrecPacket](pub); rec.MessageID != 7 {
						t.Fatalf("PUBREC id %d, want 7", rec.MessageID)
					}
				}
				sub.expectPublish("a/b", "hi", min(pubQoS, subQoS), false, false)
			})
		}
	}
}

func TestSubscribeReturnCodes(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []byte // for filters a (QoS 0), b (QoS 1), c (QoS 2), deny (QoS 1)
	}{
		{"QoS2Allow", nil, []byte{0, 1, 2, 0x80}},
		{"QoS2Downgrade", []Option{WithQoS2(QoS2Downgrade)}, []byte{0, 1, 1, 0x80}},
		{"QoS2Disconnect", []Option{WithQoS2(QoS2Disconnect)}, []byte{0, 1, 1, 0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deny := WithAuthorizer(func(a Action) Decision {
				if a.Subscribe && a.Topic == "deny" {
					return Refuse
				}
				return Allow
			})
			b := NewBroker(t, append(tt.opts, deny)...)
			c := dial(t, b).mustConnect("dev1", true, false)
			c.send(subscribePacket(9, []string{"a", "b", "c", "deny"}, []byte{0, 1, 2, 1}))
			ack := expect[*packets.SubackPacket](c)
			if ack.MessageID != 9 || !bytes.Equal(ack.ReturnCodes, tt.want) {
				t.Fatalf("SUBACK id %d codes %v, want 9 %v", ack.MessageID, ack.ReturnCodes, tt.want)
			}
			// The refused filter receives nothing; the others do.
			_ = b.Publish("deny", []byte("x"), 0, false)
			_ = b.Publish("a", []byte("y"), 0, false)
			c.expectPublish("a", "y", 0, false, false)
		})
	}
}

func TestSubscribeMalformedCloses(t *testing.T) {
	tests := []struct {
		name string
		pkt  *packets.SubscribePacket
	}{
		{"invalid filter", subscribePacket(1, []string{"a/#/b"}, []byte{0})},
		{"QoS 3", subscribePacket(1, []string{"a"}, []byte{3})},
		{"packet id 0", subscribePacket(0, []string{"a"}, []byte{0})},
		{"no filters", subscribePacket(1, nil, nil)},
		{"wrong flags", func() *packets.SubscribePacket {
			p := subscribePacket(1, []string{"a"}, []byte{0})
			p.Qos = 0
			return p
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(t)
			c := dial(t, b).mustConnect("dev1", true, false)
			c.send(tt.pkt)
			c.expectClosed()
		})
	}
}

func TestPublishMalformedCloses(t *testing.T) {
	tests := []struct {
		name string
		pkt  *packets.PublishPacket
	}{
		{"wildcard topic", publish("a/+", "x", 0, false, 0)},
		{"empty topic", publish("", "x", 0, false, 0)},
		{"QoS 1 packet id 0", publish("a", "x", 1, false, 0)},
		{"QoS 3", publish("a", "x", 3, false, 1)},
		{"DUP on QoS 0", func() *packets.PublishPacket { p := publish("a", "x", 0, false, 0); p.Dup = true; return p }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(t)
			c := dial(t, b).mustConnect("dev1", true, false)
			c.send(tt.pkt)
			c.expectClosed()
		})
	}
}

// A message matching several subscriptions of one client is delivered once at the highest QoS.
func TestOverlappingSubscriptionsDeliverOnce(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(subscribePacket(1, []string{"a/+", "a/#", "a/b"}, []byte{0, 1, 0}))
	expect[*packets.SubackPacket](c)
	_ = b.Publish("a/b", []byte("once"), 1, false)
	p := c.expectPublish("a/b", "once", 1, false, false)
	c.send(puback(p.MessageID))
	c.expectNothing(100 * time.Millisecond)
}

func TestUnsubscribe(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("a/#", 0, 0)
	u := packets.NewControlPacket(packets.Unsubscribe).(*packets.UnsubscribePacket)
	u.MessageID, u.Topics = 5, []string{"a/#", "never/subscribed"}
	c.send(u)
	if ack := expect[*packets.UnsubackPacket](c); ack.MessageID != 5 {
		t.Fatalf("UNSUBACK id %d, want 5", ack.MessageID)
	}
	_ = b.Publish("a/b", []byte("x"), 0, false)
	c.expectNothing(100 * time.Millisecond)
}

func TestPingreq(t *testing.T) {
	b := NewBroker(t)
	c := pipe(t, b).mustConnect("dev1", true, false)
	c.send(packets.NewControlPacket(packets.Pingreq))
	expect[*packets.PingrespPacket](c)
}

func TestWildcardDelivery(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(subscribePacket(1, []string{"s/+/t", "h/#", "#"}, []byte{0, 0, 0}))
	expect[*packets.SubackPacket](c)
	// "#" matches everything but $ topics, so every ordinary topic arrives exactly once.
	for _, topic := range []string{"s/x/t", "h", "h/a/b", "other"} {
		_ = b.Publish(topic, []byte(topic), 0, false)
		c.expectPublish(topic, topic, 0, false, false)
	}
	_ = b.Publish("$SYS/x", []byte("sys"), 0, false)
	c.expectNothing(100 * time.Millisecond)
}

func TestRetained(t *testing.T) {
	b := NewBroker(t)
	pub := dial(t, b).mustConnect("pub", true, false)
	pub.send(publish("r/1", "one", 1, true, 1))
	expect[*packets.PubackPacket](pub)
	_ = b.Publish("r/2", []byte("two"), 0, true)
	_ = b.Publish("$aws/r", []byte("dollar"), 0, true)

	sub := dial(t, b).mustConnect("sub", true, false)
	sub.subscribe("r/#", 1, 1)
	// Retained messages arrive with RETAIN set, in topic order, at min(stored, granted) QoS.
	p := sub.expectPublish("r/1", "one", 1, true, false)
	sub.send(puback(p.MessageID))
	sub.expectPublish("r/2", "two", 0, true, false)
	// Live deliveries carry RETAIN 0 even when published retained.
	pub.send(publish("r/1", "uno", 0, true, 0))
	sub.expectPublish("r/1", "uno", 0, false, false)
	// An empty retained payload clears the topic and is delivered as usual.
	pub.send(publish("r/2", "", 0, true, 0))
	sub.expectPublish("r/2", "", 0, false, false)

	// A filter starting with a wildcard gets no $ topic; an explicit one does.
	late := dial(t, b).mustConnect("late", true, false)
	late.send(subscribePacket(1, []string{"#", "+/r"}, []byte{0, 0}))
	expect[*packets.SubackPacket](late)
	late.expectPublish("r/1", "uno", 0, true, false)
	late.expectNothing(100 * time.Millisecond)
	late.subscribe("$aws/#", 0, 0)
	late.expectPublish("$aws/r", "dollar", 0, true, false)
	late.expectNothing(50 * time.Millisecond)
}

func TestLastWill(t *testing.T) {
	tests := []struct {
		name     string
		end      func(b *Broker, c *client)
		wantWill bool
	}{
		{"abnormal close", func(_ *Broker, c *client) { _ = c.conn.Close() }, true},
		{"broker Disconnect fault", func(b *Broker, _ *client) { b.Disconnect("dev1") }, true},
		{"protocol violation", func(_ *Broker, c *client) { c.send(publish("a/#", "", 0, false, 0)) }, true},
		{"DISCONNECT", func(_ *Broker, c *client) { c.send(packets.NewControlPacket(packets.Disconnect)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(t)
			watcher := dial(t, b).mustConnect("watcher", true, false)
			watcher.subscribe("status/#", 1, 1)
			p := connectPacket("dev1", true)
			p.WillFlag, p.WillTopic, p.WillMessage, p.WillQos, p.WillRetain = true, "status/dev1", []byte("offline"), 1, true
			c := dial(t, b)
			if ack := c.connect(p); ack.ReturnCode != 0 {
				t.Fatalf("CONNACK %d", ack.ReturnCode)
			}
			tt.end(b, c)
			if !tt.wantWill {
				watcher.expectNothing(200 * time.Millisecond)
				return
			}
			got := watcher.expectPublish("status/dev1", "offline", 1, false, false)
			watcher.send(puback(got.MessageID))
			// A retained will is stored.
			late := dial(t, b).mustConnect("late", true, false)
			late.subscribe("status/dev1", 0, 0)
			late.expectPublish("status/dev1", "offline", 0, true, false)
		})
	}
}

func TestKeepAliveExpiry(t *testing.T) {
	b := NewBroker(t)
	watcher := dial(t, b).mustConnect("watcher", true, false)
	watcher.subscribe("will", 0, 0)
	p := connectPacket("dev1", true)
	p.Keepalive = 1
	p.WillFlag, p.WillTopic, p.WillMessage = true, "will", []byte("timeout")
	c := dial(t, b)
	start := time.Now()
	if ack := c.connect(p); ack.ReturnCode != 0 {
		t.Fatalf("CONNACK %d", ack.ReturnCode)
	}
	c.expectClosed()
	if elapsed := time.Since(start); elapsed < 1400*time.Millisecond {
		t.Fatalf("closed after %v, want 1.5 s", elapsed)
	}
	watcher.expectPublish("will", "timeout", 0, false, false)
}

func TestKeepAlivePingsKeepConnectionOpen(t *testing.T) {
	b := NewBroker(t, WithKeepAliveFactor(1.5))
	p := connectPacket("dev1", true)
	p.Keepalive = 1
	c := dial(t, b)
	c.connect(p)
	for i := 0; i < 4; i++ {
		time.Sleep(600 * time.Millisecond)
		c.send(packets.NewControlPacket(packets.Pingreq))
		expect[*packets.PingrespPacket](c)
	}
}

// Concurrent deliveries to one client go through its single writer: every packet arrives whole.
func TestConcurrentDeliveriesDoNotInterleave(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("t/#", 0, 0)
	const writers, each = 8, 50
	payload := bytes.Repeat([]byte("x"), 3000)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_ = b.Publish(fmt.Sprintf("t/%d", w), payload, 0, false)
			}
		}()
	}
	for i := 0; i < writers*each; i++ {
		p := expect[*packets.PublishPacket](c)
		if !bytes.Equal(p.Payload, payload) {
			t.Fatalf("message %d: corrupted payload", i)
		}
	}
	wg.Wait()
}

func TestInflightWindow(t *testing.T) {
	b := NewBroker(t, WithMaxInflight(2))
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("t", 1, 1)
	for i := 0; i < 4; i++ {
		_ = b.Publish("t", []byte{byte('0' + i)}, 1, false)
	}
	p0 := c.expectPublish("t", "0", 1, false, false)
	p1 := c.expectPublish("t", "1", 1, false, false)
	c.expectNothing(100 * time.Millisecond)
	c.send(puback(p0.MessageID))
	p2 := c.expectPublish("t", "2", 1, false, false)
	c.expectNothing(100 * time.Millisecond)
	c.send(puback(p1.MessageID), puback(p2.MessageID))
	c.expectPublish("t", "3", 1, false, false)
	if p0.MessageID == p1.MessageID || p1.MessageID == p2.MessageID {
		t.Fatalf("in-flight messages share packet ids: %d %d %d", p0.MessageID, p1.MessageID, p2.MessageID)
	}
}

func TestMaxPacketSize(t *testing.T) {
	b := NewBroker(t, WithMaxPacketSize(1024))
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(publish("t", string(bytes.Repeat([]byte("x"), 1000)), 0, false, 0))
	c.send(packets.NewControlPacket(packets.Pingreq))
	expect[*packets.PingrespPacket](c)
	c.send(publish("t", string(bytes.Repeat([]byte("x"), 1100)), 0, false, 0))
	c.expectClosed()
}

func TestWithoutParentMatch(t *testing.T) {
	b := NewBroker(t, WithoutParentMatch())
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("a/#", 0, 0)
	_ = b.Publish("a", []byte("parent"), 0, false)
	_ = b.Publish("a/b", []byte("child"), 0, false)
	c.expectPublish("a/b", "child", 0, false, false)
	c.expectNothing(50 * time.Millisecond)
}

func TestWithoutWildcardRetained(t *testing.T) {
	b := NewBroker(t, WithoutWildcardRetained())
	_ = b.Publish("r/1", []byte("kept"), 0, true)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("r/+", 0, 0)
	c.expectNothing(50 * time.Millisecond)
	c.subscribe("r/1", 0, 0)
	c.expectPublish("r/1", "kept", 0, true, false)
}
