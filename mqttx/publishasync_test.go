package mqttx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

func TestPublishAsyncOutlivesTheWaitersContext(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	opts := testOptions(t, b.URL())
	c := newClient(t, opts)
	connect(t, c)

	b.DelayAcks(500 * time.Millisecond)
	pub, err := c.PublishAsync(timeoutCtx(t, 5*time.Second), "async/x", []byte("one"), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	// A waiter whose ctx ends stops waiting; the publish goes on.
	if err := pub.Wait(timeoutCtx(t, 100*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait before the ack = %v, want DeadlineExceeded", err)
	}
	select {
	case <-pub.Done():
		t.Fatal("Done closed before the broker acknowledged")
	default:
	}
	if err := pub.Wait(timeoutCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("second Wait = %v, want the acknowledgement", err)
	}
	if got := b.Received(opts.ClientID); len(got) != 1 || string(got[0].Payload) != "one" {
		t.Fatalf("broker received %v, want the message once", got)
	}
	// Waited for twice, the publication left the in-flight count once:
	// with a count gone wrong, Reconnect would wait for it forever.
	if err := c.Reconnect(timeoutCtx(t, 5*time.Second)); err != nil {
		t.Fatalf("Reconnect: %v", err)
	}
}

func TestPublishAsyncAcknowledgedInOrder(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	opts := testOptions(t, b.URL())
	c := newClient(t, opts)
	ctx := timeoutCtx(t, 10*time.Second)
	if _, err := c.PublishAsync(ctx, "async/x", nil, 1, false); !errors.Is(err, mqttx.ErrNotConnected) {
		t.Fatalf("PublishAsync before Connect = %v, want ErrNotConnected", err)
	}
	connect(t, c)
	if _, err := c.PublishAsync(ctx, "async/+", nil, 1, false); !errors.Is(err, mqttx.ErrInvalidTopic) {
		t.Fatalf("PublishAsync to a filter = %v, want ErrInvalidTopic", err)
	}
	var pubs []*mqttx.Publication
	for _, p := range []string{"a", "b", "c"} {
		pub, err := c.PublishAsync(ctx, "async/x", []byte(p), 1, false)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pub)
	}
	for i, pub := range pubs {
		if err := pub.Wait(ctx); err != nil {
			t.Fatalf("publication %d: %v", i, err)
		}
	}
	got := b.Received(opts.ClientID)
	if len(got) != 3 || string(got[0].Payload) != "a" || string(got[1].Payload) != "b" || string(got[2].Payload) != "c" {
		t.Fatalf("broker received %v, want a, b, c in order", got)
	}
}

// Reconnect lets a publication in flight finish before replacing the
// connection, as it does for Publish.
func TestReconnectWaitsForPublication(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	opts := testOptions(t, b.URL())
	c := newClient(t, opts)
	connect(t, c)
	b.DelayAcks(200 * time.Millisecond)
	ctx := timeoutCtx(t, 10*time.Second)
	pub, err := c.PublishAsync(ctx, "async/x", []byte("x"), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pub.Wait(ctx) }()
	if err := c.Reconnect(ctx); err != nil {
		t.Fatalf("Reconnect: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("publication = %v, want acknowledged before the reconnect", err)
	}
	if got := b.Received(opts.ClientID); len(got) != 1 {
		t.Fatalf("broker received %d copies, want 1", len(got))
	}
}
