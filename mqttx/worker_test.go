package mqttx_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// A subscription's worker goroutine runs only while messages come: none
// before the first, it ends after a linger once idle, and the next
// message starts a new one. Messages still arrive in order.
func TestSubscriptionWorkerRunsOnlyWhileMessagesCome(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newClient(t, testOptions(t, b.URL()))
	connect(t, c)
	in := newInbox()
	ctx := timeoutCtx(t, 10*time.Second)
	if err := c.Subscribe(ctx, "w/#", 1, in.handler); err != nil {
		t.Fatal(err)
	}
	if workerRuns() {
		t.Fatal("a worker runs before any message")
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < 3; i++ {
			if err := c.Publish(ctx, "w/"+string(rune('a'+i)), nil, 1, false); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 3; i++ {
			if m := in.next(t); m.Topic != "w/"+string(rune('a'+i)) {
				t.Fatalf("round %d: message %d on %q, want them in order", round, i, m.Topic)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for workerRuns() {
			if time.Now().After(deadline) {
				t.Fatal("the worker still runs long after the queue emptied")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func workerRuns() bool {
	buf := make([]byte, 1<<20)
	return bytes.Contains(buf[:runtime.Stack(buf, true)], []byte("mqttx.(*Client).work("))
}

// QoS 1 and 2 messages are acknowledged as they are received, not when
// their handler has run: a broker whose window of unacknowledged messages
// is full sends no more, so a handler still busy with the first message
// gets more than a window's worth queued behind it.
func TestMessagesAreAcknowledgedOnReceipt(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newClient(t, testOptions(t, b.URL()))
	connect(t, c)
	ctx := timeoutCtx(t, 10*time.Second)
	gate := make(chan struct{})
	in := newInbox()
	if err := c.Subscribe(ctx, "ack/#", 2, func(ctx context.Context, m mqttx.Message) {
		<-gate
		in.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 3 * mqttxtest.DefaultMaxInflight
	for i := 0; i < n; i++ {
		if err := b.Publish(fmt.Sprintf("ack/%d", i), nil, byte(1+i%2), false); err != nil {
			t.Fatal(err)
		}
	}
	// The broker counts each PUBLISH it wrote; it writes past its window
	// only as acknowledgements come.
	deadline := time.Now().Add(5 * time.Second)
	for b.Stats().MessagesOut < n {
		if time.Now().After(deadline) {
			t.Fatalf("the broker sent %d of %d messages while the handler was busy: acknowledgements wait for the handler", b.Stats().MessagesOut, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(gate)
	for i := 0; i < n; i++ {
		if m := in.next(t); m.Topic != fmt.Sprintf("ack/%d", i) {
			t.Fatalf("message %d on %q, want them in order", i, m.Topic)
		}
	}
}
