package mqttx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

func TestReconnectRenewsCredentialsWithoutLosingPublishes(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.OnEvent = events.record
	// Backoff far longer than the test: a renewal must not wait for it.
	opts.MinBackoff, opts.MaxBackoff = time.Minute, time.Minute
	opts.Will = &mqttx.Message{Topic: "will/" + opts.ClientID, Payload: []byte("gone"), QoS: 1}
	var calls atomic.Int32
	opts.Credentials = func(context.Context) (mqttx.Credentials, error) {
		n := calls.Add(1)
		return mqttx.Credentials{Username: "dev", Password: fmt.Sprintf("token-%d", n)}, nil
	}
	c := newClient(t, opts)
	in := newInbox()
	ctx := timeoutCtx(t, 20*time.Second)
	if err := c.Subscribe(ctx, "cmd/#", 1, in.handler); err != nil {
		t.Fatal(err)
	}
	wills := newInbox()
	watcher := newClient(t, testOptions(t, b.URL()))
	if err := watcher.Subscribe(ctx, "will/#", 1, wills.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, watcher)
	connect(t, c)

	// Publish QoS 1 continuously from several goroutines across the renewal.
	const perWorker = 200
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				if err := c.Publish(ctx, fmt.Sprintf("tel/%d", w), []byte(fmt.Sprint(i)), 1, false); err != nil {
					failed.Add(1)
					t.Errorf("publish %d/%d: %v", w, i, err)
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := c.Reconnect(ctx); err != nil {
		t.Fatalf("Reconnect: %v", err)
	}
	took := time.Since(start)
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	if took > 5*time.Second {
		t.Errorf("Reconnect took %v: it must not wait for the backoff", took)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("credentials fetched %d times, want 2 (one per connection)", got)
	}
	if n := events.count(mqttx.EventConnected); n != 2 {
		t.Errorf("%d EventConnected, want 2", n)
	}
	for _, e := range events.snapshot() {
		if e.Kind == mqttx.EventConnectionLost && !errors.Is(e.Err, mqttx.ErrReconnectRequested) {
			t.Errorf("EventConnectionLost.Err = %v, want ErrReconnectRequested", e.Err)
		}
	}
	// Every publish was acknowledged, so the broker has every message, in
	// order per publisher.
	next := map[string]int{}
	for _, m := range b.Received(opts.ClientID) {
		if m.Duplicate {
			continue
		}
		want := next[m.Topic]
		if string(m.Payload) != fmt.Sprint(want) {
			t.Fatalf("%s: got %s, want %d", m.Topic, m.Payload, want)
		}
		next[m.Topic] = want + 1
	}
	for w := 0; w < 4; w++ {
		if got := next[fmt.Sprintf("tel/%d", w)]; got != perWorker {
			t.Errorf("tel/%d: broker received %d messages, want %d", w, got, perWorker)
		}
	}
	// Subscriptions are restored; DISCONNECT was sent, so no will.
	if err := b.Publish("cmd/x", []byte("after"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := in.next(t); string(m.Payload) != "after" {
		t.Fatalf("got %q after the reconnect", m.Payload)
	}
	wills.none(t, 200*time.Millisecond)
}

func TestReconnectWithoutConnection(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newClient(t, testOptions(t, b.URL()))
	if err := c.Reconnect(context.Background()); !errors.Is(err, mqttx.ErrNotConnected) {
		t.Fatalf("Reconnect before Connect = %v, want ErrNotConnected", err)
	}
}
