package mqttx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// Fault injection with the in-process fake broker.

func TestServerSideDisconnectReconnects(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.OnEvent = events.record
	c := newClient(t, opts)
	in := newInbox()
	ctx := timeoutCtx(t, 20*time.Second)
	if err := c.Subscribe(ctx, "srv/#", 1, in.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	if !b.Disconnect(opts.ClientID) {
		t.Fatal("broker did not know the client")
	}
	events.waitCount(t, mqttx.EventConnectionLost, 1)
	events.waitCount(t, mqttx.EventConnected, 2)
	if err := b.Publish("srv/x", []byte("after"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := in.next(t); string(m.Payload) != "after" {
		t.Fatalf("got %q", m.Payload)
	}
}

func TestServerUnavailableIsRetried(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	b.RefuseConnect(3, 2) // two "server unavailable", then accept
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.OnEvent = events.record
	connect(t, newClient(t, opts))
	if n := events.count(mqttx.EventConnectFailed); n != 2 {
		t.Fatalf("%d failed attempts, want 2", n)
	}
	for _, e := range events.snapshot() {
		if e.Kind == mqttx.EventConnectFailed && !errors.Is(e.Err, mqttx.ErrServerUnavailable) {
			t.Errorf("EventConnectFailed.Err = %v, want ErrServerUnavailable", e.Err)
		}
	}
}

func TestRefusalAfterFirstConnectionIsRetriedWithBackoff(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.MinBackoff, opts.MaxBackoff = 20*time.Millisecond, 40*time.Millisecond
	opts.OnEvent = events.record
	c := newClient(t, opts)
	connect(t, c)
	b.RefuseConnect(5, 3) // "not authorized" three times: the credentials callback may fix it
	b.Disconnect(opts.ClientID)
	events.waitCount(t, mqttx.EventConnected, 2)
	var refusals int
	for _, e := range events.snapshot() {
		if e.Kind == mqttx.EventConnectFailed {
			refusals++
			if !errors.Is(e.Err, mqttx.ErrNotAuthorized) {
				t.Errorf("EventConnectFailed.Err = %v", e.Err)
			}
		}
	}
	if refusals != 3 {
		t.Fatalf("%d refusals reported, want 3", refusals)
	}
	if err := c.Publish(context.Background(), "x", nil, 1, false); err != nil {
		t.Fatal(err)
	}
}

// When Connect returns, OnEvent has been called with EventConnected, even
// when the callback is slow: a Transport marks itself online there, and
// what it does right after Connect depends on it.
func TestConnectReturnsAfterOnEventSawConnected(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.OnEvent = func(e mqttx.Event) {
		if e.Kind == mqttx.EventConnected {
			time.Sleep(50 * time.Millisecond)
		}
		events.record(e)
	}
	c := newClient(t, opts)
	connect(t, c)
	if n := events.count(mqttx.EventConnected); n != 1 {
		t.Fatalf("OnEvent saw %d EventConnected when Connect returned, want 1 (events %v)", n, events.kinds())
	}
}
