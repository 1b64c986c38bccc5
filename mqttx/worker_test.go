package mqttx_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
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
	c := connectedClient(t, b.URL())
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

// A handler that detaches lets its subscription's next messages run, in
// order, while it goes on; without detaching they wait behind it.
func TestDetachLetsTheNextMessagesRunWhileTheHandlerGoesOn(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectedClient(t, b.URL())
	ctx := timeoutCtx(t, 10*time.Second)
	gate := make(chan struct{})
	detached := make(chan bool, 1)
	in := newInbox()
	if err := c.Subscribe(ctx, "d/#", 1, func(ctx context.Context, m mqttx.Message) {
		if m.Topic == "d/slow" {
			detached <- mqttx.Detach(ctx)
			<-gate
		}
		in.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"d/slow", "d/1", "d/2", "d/3"} {
		if err := c.Publish(ctx, topic, nil, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	if !<-detached {
		t.Fatal("Detach in a handler returned false")
	}
	for i := 1; i <= 3; i++ {
		if m := in.next(t); m.Topic != fmt.Sprintf("d/%d", i) {
			t.Fatalf("message %d on %q while the detached handler waits, want d/%d", i, m.Topic, i)
		}
	}
	close(gate)
	if m := in.next(t); m.Topic != "d/slow" {
		t.Fatalf("got %q, want the detached handler's d/slow", m.Topic)
	}
	// The detached goroutine or the new worker drains later messages, one
	// at a time and in order.
	for i := 4; i <= 6; i++ {
		if err := c.Publish(ctx, fmt.Sprintf("d/%d", i), nil, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := 4; i <= 6; i++ {
		if m := in.next(t); m.Topic != fmt.Sprintf("d/%d", i) {
			t.Fatalf("after the detached handler returned: %q, want d/%d", m.Topic, i)
		}
	}
}

// Detach refuses a context that is not a handler's, a second call in the
// same handler, and a handler's context once the handler has returned.
func TestDetachRefusesWhatIsNotARunningHandler(t *testing.T) {
	if mqttx.Detach(context.Background()) {
		t.Fatal("Detach(context.Background()) = true")
	}
	b := mqttxtest.NewBroker(t)
	c := connectedClient(t, b.URL())
	ctx := timeoutCtx(t, 10*time.Second)
	type result struct {
		first, second bool
		ctx           context.Context
	}
	got := make(chan result, 2)
	if err := c.Subscribe(ctx, "r/#", 1, func(ctx context.Context, m mqttx.Message) {
		if m.Topic == "r/detach" {
			first := mqttx.Detach(ctx)
			got <- result{first: first, second: mqttx.Detach(ctx), ctx: ctx}
			return
		}
		got <- result{ctx: ctx}
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "r/detach", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if !r.first || r.second {
		t.Fatalf("Detach twice in one handler = %v, %v; want true, false", r.first, r.second)
	}
	if err := c.Publish(ctx, "r/plain", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	r = <-got
	time.Sleep(50 * time.Millisecond) // let the handler return
	if mqttx.Detach(r.ctx) {
		t.Fatal("Detach with a returned handler's context = true")
	}
}

// Disconnect waits for a detached handler like any other, and no goroutine
// is left after it.
func TestDisconnectWaitsForADetachedHandler(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectedClient(t, b.URL())
	ctx := timeoutCtx(t, 10*time.Second)
	running := make(chan struct{})
	var done atomic.Bool
	if err := c.Subscribe(ctx, "w/#", 1, func(ctx context.Context, m mqttx.Message) {
		if !mqttx.Detach(ctx) {
			t.Error("Detach = false")
		}
		close(running)
		<-ctx.Done() // until Disconnect
		time.Sleep(100 * time.Millisecond)
		done.Store(true)
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "w/1", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	<-running
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if !done.Load() {
		t.Fatal("Disconnect returned before the detached handler did")
	}
}

// Under load, with handlers detaching at random, every message is handled
// exactly once, and a message's handler starts only after the previous
// message's handler returned or detached: the ordering Detach promises.
func TestDetachKeepsOrderUntilEachDetach(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectedClient(t, b.URL())
	ctx := timeoutCtx(t, 30*time.Second)
	const n = 600
	rng := rand.New(rand.NewPCG(20261208, 1))
	detach := make([]bool, n) // decided up front: the handlers run concurrently
	for i := range detach {
		detach[i] = rng.IntN(3) == 0
	}
	var mu sync.Mutex
	released := make([]bool, n) // the handler of message i returned or detached
	handled := make([]int, n)
	var violations []string
	done := make(chan struct{})
	count := 0
	if err := c.Subscribe(ctx, "order/#", 1, func(ctx context.Context, m mqttx.Message) {
		i, err := strconv.Atoi(strings.TrimPrefix(m.Topic, "order/"))
		if err != nil {
			t.Errorf("topic %q", m.Topic)
			return
		}
		mu.Lock()
		if i > 0 && !released[i-1] {
			violations = append(violations, fmt.Sprintf("message %d started before %d returned or detached", i, i-1))
		}
		handled[i]++
		mu.Unlock()
		if detach[i] {
			mu.Lock()
			released[i] = true // before Detach: the next start may follow at once
			mu.Unlock()
			if !mqttx.Detach(ctx) {
				t.Errorf("Detach refused for message %d", i)
			}
			time.Sleep(time.Duration(i%5) * time.Millisecond) // long work, overlapping the next messages
		}
		mu.Lock()
		released[i] = true
		count++
		if count == n {
			close(done)
		}
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := c.Publish(ctx, fmt.Sprintf("order/%d", i), nil, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("only %d of %d messages handled", count, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, h := range handled {
		if h != 1 {
			t.Errorf("message %d handled %d times", i, h)
		}
	}
	for _, v := range violations {
		t.Error(v)
	}
}
