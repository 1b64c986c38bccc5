package mqttx_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

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
