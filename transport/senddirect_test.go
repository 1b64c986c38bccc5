package transport_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
)

// SendDirect publishes at once and never queues: nothing in the outbox
// while connected, an error matching mqttx.ErrNotConnected offline.
func TestSendDirectBypassesTheOutbox(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	ctx := testContext(t)
	err := c.SendDirect(ctx, transport.Message{Topic: "response/a", Payload: []byte("offline"), QoS: 1})
	if !errors.Is(err, mqttx.ErrNotConnected) {
		t.Fatalf("SendDirect offline = %v, want mqttx.ErrNotConnected", err)
	}
	if n := c.Queued(); n != 0 {
		t.Fatalf("Queued after an offline SendDirect = %d, want 0", n)
	}
	connect(t, c)
	if err := c.SendDirect(ctx, transport.Message{Topic: "response/a", Payload: []byte("online"), QoS: 1}); err != nil {
		t.Fatalf("SendDirect online: %v", err)
	}
	if got := payloads(b.Received(testDevice)); len(got) != 1 || got[0] != "online" {
		t.Errorf("broker received %q, want [online] (the offline one dropped, not replayed)", got)
	}
	if err := c.SendDirect(ctx, transport.Message{Topic: "response/+", QoS: 1}); !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("SendDirect with a wildcard = %v, want ErrInvalidTopic", err)
	}
}

// The outbox's sender goroutine runs only while there is something to
// send: it ends after a linger once the outbox is empty, and the next
// queued message starts it again.
func TestOutboxSenderEndsWhenIdle(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)
	if senderRuns() {
		t.Fatal("a sender runs before anything was queued")
	}
	for i := 0; i < 2; i++ {
		if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		deadline := time.Now().Add(waitTimeout)
		for senderRuns() {
			if time.Now().After(deadline) {
				t.Fatal("the sender still runs long after the outbox emptied")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := payloads(b.Received(testDevice)); len(got) != 2 {
		t.Errorf("broker received %q, want 2 messages", got)
	}
}

// senderRuns reports whether a Conn's outbox sender goroutine is alive.
func senderRuns() bool {
	buf := make([]byte, 1<<20)
	return bytes.Contains(buf[:runtime.Stack(buf, true)], []byte("transport.(*Conn).drainOutbox"))
}
