package mqttxtest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func TestAuthorizerPublish(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []Action
	)
	b := NewBroker(t, WithAuthorizer(func(a Action) Decision {
		if a.Subscribe {
			return Allow
		}
		mu.Lock()
		seen = append(seen, a)
		mu.Unlock()
		switch a.Topic {
		case "refused":
			return Refuse
		case "forbidden":
			return Disconnect
		}
		return Allow
	}))
	sub := dial(t, b).mustConnect("sub", true, false)
	sub.subscribe("#", 0, 0)
	c := dial(t, b).mustConnect("dev1", true, false)
	// A refused PUBLISH is still acknowledged but goes nowhere.
	c.send(publish("refused", "x", 1, true, 1))
	expect[*packets.PubackPacket](c)
	sub.expectNothing(100 * time.Millisecond)
	c.send(publish("ok", "y", 0, false, 0))
	sub.expectPublish("ok", "y", 0, false, false)
	c.send(publish("forbidden", "z", 1, false, 2))
	c.expectClosed()
	want := []Action{
		{ClientID: "dev1", Topic: "refused", QoS: 1, Payload: []byte("x"), Retain: true},
		{ClientID: "dev1", Topic: "ok", QoS: 0, Payload: []byte("y")},
		{ClientID: "dev1", Topic: "forbidden", QoS: 1, Payload: []byte("z")},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(want) {
		t.Fatalf("authorizer saw %d actions, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i].ClientID != want[i].ClientID || seen[i].Topic != want[i].Topic || seen[i].QoS != want[i].QoS ||
			string(seen[i].Payload) != string(want[i].Payload) || seen[i].Retain != want[i].Retain || seen[i].Subscribe {
			t.Fatalf("action %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
	// The refused retained message was not stored.
	late := dial(t, b).mustConnect("late", true, false)
	late.subscribe("refused", 0, 0)
	late.expectNothing(100 * time.Millisecond)
}

func TestAuthorizerSubscribeDisconnect(t *testing.T) {
	b := NewBroker(t, WithAuthorizer(func(a Action) Decision {
		if a.Subscribe && a.Topic == "#" {
			return Disconnect
		}
		return Allow
	}))
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(subscribePacket(1, []string{"ok", "#"}, []byte{1, 1}))
	c.expectClosed()
}

// The interceptor consumes requests and answers through PublishTo, as the emulated cloud services do.
func TestInterceptorAndPublishTo(t *testing.T) {
	var b *Broker
	b = NewBroker(t, WithInterceptor(func(client string, m Message) bool {
		if m.Topic != "svc/get" {
			return false
		}
		if err := b.PublishTo(client, "svc/get/accepted", append([]byte("re:"), m.Payload...), 1); err != nil {
			t.Errorf("PublishTo: %v", err)
		}
		return true
	}))
	spy := dial(t, b).mustConnect("spy", true, false)
	spy.subscribe("#", 0, 0)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(publish("svc/get", "q", 1, false, 4))
	// The answer was queued before the PUBACK.
	p := c.expectPublish("svc/get/accepted", "re:q", 1, false, false)
	if ack := expect[*packets.PubackPacket](c); ack.MessageID != 4 {
		t.Fatalf("PUBACK id %d, want 4", ack.MessageID)
	}
	c.send(puback(p.MessageID))
	// Consumed: the spy saw nothing; messages not consumed are routed.
	c.send(publish("telemetry", "t", 0, false, 0))
	spy.expectPublish("telemetry", "t", 0, false, false)
	if got := b.Received("dev1"); len(got) != 2 || got[0].Topic != "svc/get" || got[1].Topic != "telemetry" {
		t.Fatalf("Received(dev1) = %+v", got)
	}
}

func TestPublishToErrors(t *testing.T) {
	b := NewBroker(t)
	if err := b.PublishTo("nobody", "t", nil, 1); !errors.Is(err, ErrNoSession) {
		t.Fatalf("PublishTo unknown client = %v, want ErrNoSession", err)
	}
	dial(t, b).mustConnect("dev1", true, false)
	if err := b.PublishTo("dev1", "a/+", nil, 0); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("PublishTo wildcard topic = %v, want ErrInvalidTopic", err)
	}
	if err := b.PublishTo("dev1", "t", nil, 3); !errors.Is(err, ErrInvalidQoS) {
		t.Fatalf("PublishTo QoS 3 = %v, want ErrInvalidQoS", err)
	}
	if err := b.Publish("", nil, 0, false); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("Publish empty topic = %v, want ErrInvalidTopic", err)
	}
	_ = b.Close()
	if err := b.Publish("t", nil, 0, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := b.PublishTo("dev1", "t", nil, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("PublishTo after Close = %v, want ErrClosed", err)
	}
}

// Publish copies the payload: the caller may reuse its buffer.
func TestPublishCopiesPayload(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.subscribe("t", 0, 0)
	buf := []byte("before")
	_ = b.Publish("t", buf, 0, true)
	copy(buf, "after!")
	c.expectPublish("t", "before", 0, false, false)
}

func TestReceivedRecordsInOrder(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(publish("a", "1", 0, false, 0), publish("b", "2", 1, true, 1))
	expect[*packets.PubackPacket](c)
	dup := publish("b", "2", 1, true, 1)
	dup.Dup = true
	c.send(dup)
	expect[*packets.PubackPacket](c)
	got := b.Received("dev1")
	want := []Message{
		{Topic: "a", Payload: []byte("1")},
		{Topic: "b", Payload: []byte("2"), QoS: 1, Retain: true},
		{Topic: "b", Payload: []byte("2"), QoS: 1, Retain: true, Duplicate: true},
	}
	if len(got) != len(want) {
		t.Fatalf("Received = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Topic != want[i].Topic || string(got[i].Payload) != string(want[i].Payload) ||
			got[i].QoS != want[i].QoS || got[i].Retain != want[i].Retain || got[i].Duplicate != want[i].Duplicate {
			t.Fatalf("Received[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := b.Stats(); s.MessagesIn != 3 {
		t.Fatalf("Stats().MessagesIn = %d, want 3", s.MessagesIn)
	}
}
