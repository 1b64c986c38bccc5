package mqttxtest

import (
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func TestDisconnect(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	if !b.Disconnect("dev1") {
		t.Fatal("Disconnect(dev1) = false, want true")
	}
	if got := b.Clients(); len(got) != 0 {
		t.Fatalf("Clients() after Disconnect = %v, want none", got)
	}
	c.expectClosed()
	if b.Disconnect("dev1") {
		t.Fatal("Disconnect of an absent client = true")
	}
}

func TestDisconnectAfter(t *testing.T) {
	t.Run("inbound packet is the last", func(t *testing.T) {
		b := NewBroker(t)
		c := dial(t, b).mustConnect("dev1", true, false)
		b.DisconnectAfter("dev1", 1)
		c.send(packets.NewControlPacket(packets.Pingreq))
		c.expectClosed() // the PINGRESP would be packet 2
	})
	t.Run("outbound packet is the last", func(t *testing.T) {
		b := NewBroker(t)
		c := dial(t, b).mustConnect("dev1", true, false)
		b.DisconnectAfter("dev1", 2)
		c.send(packets.NewControlPacket(packets.Pingreq))
		expect[*packets.PingrespPacket](c)
		c.expectClosed()
	})
	t.Run("pending for the next connection", func(t *testing.T) {
		b := NewBroker(t)
		b.DisconnectAfter("dev1", 1)
		c := dial(t, b).mustConnect("dev1", true, false)
		c.expectClosed()
		dial(t, b).mustConnect("dev1", true, false).expectNothing(50 * time.Millisecond)
	})
	t.Run("zero closes now", func(t *testing.T) {
		b := NewBroker(t)
		c := dial(t, b).mustConnect("dev1", true, false)
		b.DisconnectAfter("dev1", 0)
		c.expectClosed()
	})
}

func TestDropRandomly(t *testing.T) {
	// packetsUntilDrop pings until the broker drops the connection and counts the packets that passed.
	packetsUntilDrop := func(t *testing.T, seed int64) int {
		b := NewBroker(t)
		b.DropRandomly(seed, 0.2)
		c := dial(t, b)
		n := 0
		if ack := c.connect(connectPacket("dev1", true)); ack.ReturnCode != 0 {
			t.Fatalf("CONNACK %d", ack.ReturnCode)
		}
		n++
		for ; n < 1000; n++ {
			if n%2 == 1 {
				c.send(packets.NewControlPacket(packets.Pingreq))
				continue
			}
			if _, err := c.tryRead(timeout); err != nil {
				if isTimeout(err) {
					t.Fatal("no PINGRESP and no close")
				}
				return n
			}
		}
		t.Fatal("no drop in 1000 packets")
		return 0
	}
	a, again := packetsUntilDrop(t, 42), packetsUntilDrop(t, 42)
	if a != again {
		t.Fatalf("seed 42 dropped after %d then %d packets, want the same", a, again)
	}
	b := NewBroker(t)
	b.DropRandomly(1, 1)
	c := dial(t, b)
	c.mustConnect("dev1", true, false) // CONNACK passes, then the drop
	c.expectClosed()
	b.DropRandomly(1, 0)
	dial(t, b).mustConnect("dev1", true, false).expectNothing(50 * time.Millisecond)
}

func TestWithholdAcks(t *testing.T) {
	b := NewBroker(t)
	sub := dial(t, b).mustConnect("sub", true, false)
	sub.subscribe("t", 0, 0)
	c := dial(t, b).mustConnect("dev1", true, false)
	b.WithholdAcks("dev1", true)
	c.send(publish("t", "1", 1, false, 1))
	sub.expectPublish("t", "1", 0, false, false) // still routed
	c.expectNothing(150 * time.Millisecond)
	// It lasts across connections.
	_ = c.conn.Close()
	c = dial(t, b).mustConnect("dev1", true, false)
	c.send(publish("t", "2", 1, false, 2))
	sub.expectPublish("t", "2", 0, false, false)
	c.expectNothing(100 * time.Millisecond)
	b.WithholdAcks("dev1", false)
	c.send(publish("t", "3", 1, false, 3))
	if ack := expect[*packets.PubackPacket](c); ack.MessageID != 3 {
		t.Fatalf("PUBACK id %d, want 3", ack.MessageID)
	}
}

func TestDelayAcks(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	const delay = 200 * time.Millisecond
	b.DelayAcks(delay)
	start := time.Now()
	c.send(publish("t", "1", 1, false, 1), publish("t", "2", 1, false, 2), publish("t", "3", 2, false, 3))
	for _, id := range []uint16{1, 2} {
		if ack := expect[*packets.PubackPacket](c); ack.MessageID != id {
			t.Fatalf("PUBACK id %d, want %d", ack.MessageID, id)
		}
	}
	if rec := expect[*packets.PubrecPacket](c); rec.MessageID != 3 {
		t.Fatalf("PUBREC id %d, want 3", rec.MessageID)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("acks after %v, want at least %v", elapsed, delay)
	}
	// Other packets are not delayed.
	start = time.Now()
	c.send(packets.NewControlPacket(packets.Pingreq))
	expect[*packets.PingrespPacket](c)
	if elapsed := time.Since(start); elapsed >= delay {
		t.Fatalf("PINGRESP after %v, want it undelayed", elapsed)
	}
	b.DelayAcks(0)
	c.send(publish("t", "4", 1, false, 4))
	expect[*packets.PubackPacket](c)
}

func TestDuplicateDeliveries(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("t", 1, 1)
	b.DuplicateDeliveries(true)
	_ = b.Publish("t", []byte("m"), 1, false)
	first := c.expectPublish("t", "m", 1, false, false)
	second := c.expectPublish("t", "m", 1, false, true)
	if first.MessageID != second.MessageID {
		t.Fatalf("duplicate has id %d, want %d", second.MessageID, first.MessageID)
	}
	c.send(puback(first.MessageID), puback(second.MessageID)) // the second PUBACK is ignored
	_ = b.Publish("t", []byte("q0"), 0, false)                // QoS 0 is not duplicated
	c.expectPublish("t", "q0", 0, false, false)
	b.DuplicateDeliveries(false)
	_ = b.Publish("t", []byte("once"), 1, false)
	p := c.expectPublish("t", "once", 1, false, false)
	c.send(puback(p.MessageID))
	c.expectNothing(100 * time.Millisecond)
}
