package mqttxtest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// A persistent session keeps subscriptions and QoS 1 messages (not QoS 0) while the client is away.
func TestPersistentSessionQueuesWhileAway(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", false, false)
	c.subscribe("cmd/#", 1, 1)
	c.send(packets.NewControlPacket(packets.Disconnect))
	c.expectClosed()
	eventually(t, "dev1 disconnected", func() bool { return len(b.Clients()) == 0 })

	_ = b.Publish("cmd/a", []byte("q1"), 1, false)
	_ = b.Publish("cmd/b", []byte("q0"), 0, false)
	if err := b.PublishTo("dev1", "direct", []byte("d1"), 1); err != nil {
		t.Fatalf("PublishTo absent persistent client: %v", err)
	}
	if err := b.PublishTo("dev1", "direct", []byte("d0"), 0); err == nil {
		t.Fatal("PublishTo QoS 0 to an absent client succeeded")
	}

	c = dial(t, b).mustConnect("dev1", false, true)
	p1 := c.expectPublish("cmd/a", "q1", 1, false, false)
	p2 := c.expectPublish("direct", "d1", 1, false, false)
	c.send(puback(p1.MessageID), puback(p2.MessageID))
	c.expectNothing(100 * time.Millisecond)
	// The subscription survived.
	_ = b.Publish("cmd/c", []byte("live"), 0, false)
	c.expectPublish("cmd/c", "live", 0, false, false)
}

// Unacknowledged QoS 1 messages are redelivered with DUP and the same packet id on resume.
func TestPersistentSessionRedeliversUnacked(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", false, false)
	c.subscribe("t", 1, 1)
	_ = b.Publish("t", []byte("m1"), 1, false)
	_ = b.Publish("t", []byte("m2"), 1, false)
	first := c.expectPublish("t", "m1", 1, false, false)
	second := c.expectPublish("t", "m2", 1, false, false)
	c.send(puback(first.MessageID))
	eventually(t, "PUBACK handled", func() bool { return b.Stats().PacketsIn >= 3 })
	_ = c.conn.Close() // m2 unacknowledged

	c = dial(t, b).mustConnect("dev1", false, true)
	again := c.expectPublish("t", "m2", 1, false, true)
	if again.MessageID != second.MessageID {
		t.Fatalf("redelivered with id %d, want %d", again.MessageID, second.MessageID)
	}
	c.send(puback(again.MessageID))
	c.expectNothing(100 * time.Millisecond)

	// Acknowledged: nothing on the next resume.
	_ = c.conn.Close()
	dial(t, b).mustConnect("dev1", false, true).expectNothing(100 * time.Millisecond)
}

func TestCleanSessionDiscardsState(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", false, false)
	c.subscribe("t", 1, 1)
	_ = c.conn.Close()
	eventually(t, "dev1 disconnected", func() bool { return len(b.Clients()) == 0 })
	_ = b.Publish("t", []byte("queued"), 1, false)

	// A clean session ends the persistent one: no session present, nothing delivered, no subscription.
	c = dial(t, b).mustConnect("dev1", true, false)
	_ = b.Publish("t", []byte("live"), 1, false)
	c.expectNothing(100 * time.Millisecond)
	c.send(packets.NewControlPacket(packets.Disconnect))
	c.expectClosed()

	// The clean session was not kept either.
	dial(t, b).mustConnect("dev1", false, false)
}

func TestMaxQueuedDropsExcess(t *testing.T) {
	b := NewBroker(t, WithMaxQueued(2))
	c := dial(t, b).mustConnect("dev1", false, false)
	c.subscribe("t", 1, 1)
	_ = c.conn.Close()
	eventually(t, "dev1 disconnected", func() bool { return len(b.Clients()) == 0 })
	for _, m := range []string{"1", "2", "3"} {
		_ = b.Publish("t", []byte(m), 1, false)
	}
	if got := b.Stats().Dropped; got != 1 {
		t.Fatalf("Stats().Dropped = %d, want 1", got)
	}
	c = dial(t, b).mustConnect("dev1", false, true)
	c.expectPublish("t", "1", 1, false, false)
	c.expectPublish("t", "2", 1, false, false)
	c.expectNothing(100 * time.Millisecond)
}

func TestQoS2Inbound(t *testing.T) {
	b := NewBroker(t)
	sub := dial(t, b).mustConnect("sub", true, false)
	sub.subscribe("t", 0, 0)
	pub := dial(t, b).mustConnect("pub", true, false)
	pub.send(publish("t", "exactly once", 2, false, 3))
	if rec := expect[*packets.PubrecPacket](pub); rec.MessageID != 3 {
		t.Fatalf("PUBREC id %d", rec.MessageID)
	}
	sub.expectPublish("t", "exactly once", 0, false, false)
	// A retransmission before PUBREL is acknowledged but not routed again.
	dup := publish("t", "exactly once", 2, false, 3)
	dup.Dup = true
	pub.send(dup)
	expect[*packets.PubrecPacket](pub)
	sub.expectNothing(100 * time.Millisecond)
	rel := pubrelPacket(3)
	pub.send(rel)
	if comp := expect[*packets.PubcompPacket](pub); comp.MessageID != 3 {
		t.Fatalf("PUBCOMP id %d", comp.MessageID)
	}
	// After PUBREL the id is free: a new message with it is routed.
	pub.send(publish("t", "again", 2, false, 3))
	expect[*packets.PubrecPacket](pub)
	sub.expectPublish("t", "again", 0, false, false)
	if got := len(b.Received("pub")); got != 3 {
		t.Fatalf("Received(pub) has %d messages, want 3 (retransmission included)", got)
	}
}

func TestQoS2Outbound(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", false, false)
	c.subscribe("t", 2, 2)
	_ = b.Publish("t", []byte("m"), 2, false)
	p := c.expectPublish("t", "m", 2, false, false)
	rec := packets.NewControlPacket(packets.Pubrec).(*packets.PubrecPacket)
	rec.MessageID = p.MessageID
	c.send(rec)
	if rel := expect[*packets.PubrelPacket](c); rel.MessageID != p.MessageID {
		t.Fatalf("PUBREL id %d, want %d", rel.MessageID, p.MessageID)
	}
	// Resuming before PUBCOMP resends PUBREL, not the message.
	_ = c.conn.Close()
	c = dial(t, b).mustConnect("dev1", false, true)
	if rel := expect[*packets.PubrelPacket](c); rel.MessageID != p.MessageID {
		t.Fatalf("PUBREL id %d, want %d", rel.MessageID, p.MessageID)
	}
	comp := packets.NewControlPacket(packets.Pubcomp).(*packets.PubcompPacket)
	comp.MessageID = p.MessageID
	c.send(comp)
	c.expectNothing(100 * time.Millisecond)
	_ = c.conn.Close()
	dial(t, b).mustConnect("dev1", false, true).expectNothing(100 * time.Millisecond)
}

func TestQoS2Downgrade(t *testing.T) {
	b := NewBroker(t, WithQoS2(QoS2Downgrade))
	sub := dial(t, b).mustConnect("sub", true, false)
	sub.subscribe("t", 2, 1)
	pub := dial(t, b).mustConnect("pub", true, false)
	pub.send(publish("t", "m", 2, false, 1))
	expect[*packets.PubrecPacket](pub)
	sub.expectPublish("t", "m", 1, false, false)
}

func TestQoS2Disconnect(t *testing.T) {
	b := NewBroker(t, WithQoS2(QoS2Disconnect))
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("t", 2, 1)
	c.send(publish("t", "m", 2, false, 1))
	c.expectClosed()

	p := connectPacket("dev2", true)
	p.WillFlag, p.WillTopic, p.WillQos = true, "w", 2
	c = dial(t, b)
	c.send(p)
	c.expectClosed()
}

func TestReceivedLimitKeepsTheMostRecent(t *testing.T) {
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{limit: 2, want: []string{"m4", "m5"}},
		{limit: 0, want: nil},
		{limit: 10, want: []string{"m1", "m2", "m3", "m4", "m5"}},
	} {
		t.Run(fmt.Sprintf("limit=%d", tc.limit), func(t *testing.T) {
			b := NewBroker(t, WithReceivedLimit(tc.limit))
			pub := dial(t, b).mustConnect("pub", true, false)
			for i := 1; i <= 5; i++ {
				pub.send(publish("t", fmt.Sprintf("m%d", i), 1, false, uint16(i)))
				expect[*packets.PubackPacket](pub)
			}
			var got []string
			for _, m := range b.Received("pub") {
				got = append(got, string(m.Payload))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Received(pub) = %q, want %q", got, tc.want)
			}
			if n := b.Stats().MessagesIn; n != 5 {
				t.Errorf("Stats().MessagesIn = %d, want 5: the limit bounds Received only", n)
			}
		})
	}
}
