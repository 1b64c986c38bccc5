package mqttx

import (
	"fmt"
	"testing"
)

func TestFIFOKeepsOrderAcrossGrowthAndWrap(t *testing.T) {
	q := newFIFO(8)
	next, want := 0, 0
	push := func(k int) {
		for i := 0; i < k; i++ {
			if ok, _ := q.push(Message{Topic: fmt.Sprint(next)}); !ok {
				t.Fatalf("push %d refused with %d pending", next, q.n)
			}
			next++
		}
	}
	pop := func(k int) {
		for i := 0; i < k; i++ {
			m, ok, _ := q.pop(&turn{})
			if !ok || m.Topic != fmt.Sprint(want) {
				t.Fatalf("pop = %q, %v; want %d", m.Topic, ok, want)
			}
			want++
		}
	}
	push(3) // grows to minFIFO
	pop(2)
	push(3) // wraps around, then grows with head != 0
	pop(1)
	push(5) // up to the limit
	if ok, _ := q.push(Message{}); ok {
		t.Fatal("push beyond the limit accepted")
	}
	if len(q.buf) != 8 {
		t.Fatalf("buffer of %d, want it grown to the limit 8", len(q.buf))
	}
	pop(8)
	if _, ok, _ := q.pop(&turn{}); ok {
		t.Fatal("pop from an empty queue: ok")
	}
	if q.buf != nil {
		t.Fatalf("drained queue keeps a buffer of %d after a burst", len(q.buf))
	}
}

func TestFIFOStartsEmptyAndAsksForOneWorkerPerBurst(t *testing.T) {
	q := newFIFO(DefaultQueueSize)
	if q.buf != nil {
		t.Fatal("a new queue allocated its buffer")
	}
	if _, start := q.push(Message{Topic: "a"}); !start {
		t.Fatal("the first push did not ask for a worker")
	}
	if _, start := q.push(Message{Topic: "b"}); start {
		t.Fatal("a second push asked for another worker while one runs")
	}
	if len(q.buf) != minFIFO {
		t.Fatalf("buffer of %d after two pushes, want %d", len(q.buf), minFIFO)
	}
	if _, start := q.push(Message{Topic: "c"}); start {
		t.Fatal("a push while the worker runs asked for another one")
	}
	select {
	case <-q.wait():
	default:
		t.Fatal("a push while the worker runs did not wake it")
	}
	if q.stop() {
		t.Fatal("stop with messages pending ended the worker's turn")
	}
	q.pop(&turn{})
	q.pop(&turn{})
	q.pop(&turn{})
	if _, ok, _ := q.pop(&turn{}); ok {
		t.Fatal("pop from an empty queue: ok")
	}
	if !q.stop() {
		t.Fatal("stop on an empty queue did not end the worker's turn")
	}
	if len(q.buf) != minFIFO {
		t.Fatalf("a drained small buffer was released (len %d); it should be kept", len(q.buf))
	}
	if q.head != 0 {
		t.Fatalf("head = %d after draining, want 0", q.head)
	}
	if _, start := q.push(Message{Topic: "d"}); !start {
		t.Fatal("a push after the worker stopped did not ask for a new worker")
	}
}

func TestFIFOPopClearsThePayloadReference(t *testing.T) {
	q := newFIFO(4)
	q.push(Message{Payload: []byte("big")})
	q.push(Message{Payload: []byte("next")})
	q.pop(&turn{})
	if q.buf[0].Payload != nil {
		t.Fatal("a popped slot still references its payload")
	}
}

func TestFIFOCloseEndsTheWorker(t *testing.T) {
	q := newFIFO(4)
	if _, start := q.push(Message{Topic: "a"}); !start {
		t.Fatal("first push did not ask for a worker")
	}
	ready := q.wait()
	q.push(Message{Topic: "b"})
	<-ready // the second push poked the running worker
	q.close()
	select {
	case <-ready: // close pokes the worker waiting for the next push
	default:
		t.Fatal("close did not wake the worker")
	}
	if _, ok, end := q.pop(&turn{}); ok || !end {
		t.Fatalf("pop after close: ok %v, end %v; want the pending messages dropped and the worker ended", ok, end)
	}
	if !q.stop() {
		t.Fatal("stop on a closed queue did not end the worker's turn")
	}
	if _, start := q.push(Message{Topic: "c"}); start {
		t.Fatal("push after close started a worker")
	}
}

// A worker that detaches during a handler hands the queue to a new worker
// when messages are pending, and ends once its handler returns; the new
// worker gets the messages in order.
func TestFIFODetachWithMessagesPendingStartsAWorker(t *testing.T) {
	q := newFIFO(8)
	q.push(Message{Topic: "a"})
	q.push(Message{Topic: "b"})
	var first, second turn
	if m, ok, _ := q.pop(&first); !ok || m.Topic != "a" {
		t.Fatalf("pop = %q, %v; want a", m.Topic, ok)
	}
	ok, start := q.detach(&first)
	if !ok || !start {
		t.Fatalf("detach with b pending = %v, %v; want true, true (start a worker)", ok, start)
	}
	if ok, _ := q.detach(&first); ok {
		t.Fatal("a second detach in the same handler succeeded")
	}
	if m, ok, end := q.pop(&second); !ok || end || m.Topic != "b" {
		t.Fatalf("the new worker's pop = %q, %v, %v; want b", m.Topic, ok, end)
	}
	if _, ok, end := q.pop(&first); ok || !end {
		t.Fatalf("the detached worker's pop after its handler = %v, %v; want it ended, the new worker runs", ok, end)
	}
	if _, start := q.push(Message{Topic: "c"}); start {
		t.Fatal("a push asked for a worker while the new one runs")
	}
	if m, ok, _ := q.pop(&second); !ok || m.Topic != "c" {
		t.Fatalf("pop = %q, %v; want c", m.Topic, ok)
	}
}

// With nothing pending, detaching starts nothing: the next push does. A
// detached worker whose handler returns while no other worker runs
// becomes the worker again instead of ending.
func TestFIFODetachWithNothingPendingTakesTheRoleBack(t *testing.T) {
	q := newFIFO(8)
	q.push(Message{Topic: "a"})
	var w turn
	q.pop(&w)
	if ok, start := q.detach(&w); !ok || start {
		t.Fatalf("detach with nothing pending = %v, %v; want true, false", ok, start)
	}
	if _, ok, end := q.pop(&w); ok || end {
		t.Fatalf("pop after the handler = %v, %v; want the worker role back, nothing pending", ok, end)
	}
	if _, start := q.push(Message{Topic: "b"}); start {
		t.Fatal("a push started a second worker after the detached one took its role back")
	}
	if m, ok, _ := q.pop(&w); !ok || m.Topic != "b" {
		t.Fatalf("pop = %q, %v; want b", m.Topic, ok)
	}

	// Detached, and a message arrives during the handler: a new worker.
	q.detach(&w)
	if _, start := q.push(Message{Topic: "c"}); !start {
		t.Fatal("a push while the only worker is detached did not ask for one")
	}
	if _, ok, end := q.pop(&w); ok || !end {
		t.Fatalf("the detached worker's pop = %v, %v; want it ended", ok, end)
	}
}

// detach outside a handler (the handler returned, or a worker waiting for
// a message) changes nothing: ordering holds.
func TestFIFODetachOutsideAHandlerIsRefused(t *testing.T) {
	q := newFIFO(8)
	var w turn
	if ok, _ := q.detach(&w); ok {
		t.Fatal("detach before any pop succeeded")
	}
	q.push(Message{Topic: "a"})
	q.pop(&w)
	q.pop(&w) // the handler of a returned; nothing pending
	if ok, _ := q.detach(&w); ok {
		t.Fatal("detach after the handler returned succeeded")
	}
	if _, start := q.push(Message{Topic: "b"}); start {
		t.Fatal("a refused detach let a second worker start")
	}
}

// Detaching from a closed queue succeeds and starts nothing.
func TestFIFODetachAfterCloseStartsNothing(t *testing.T) {
	q := newFIFO(8)
	q.push(Message{Topic: "a"})
	q.push(Message{Topic: "b"})
	var w turn
	q.pop(&w)
	q.close()
	if ok, start := q.detach(&w); !ok || start {
		t.Fatalf("detach after close = %v, %v; want true, false", ok, start)
	}
	if _, _, end := q.pop(&w); !end {
		t.Fatal("pop after close did not end the worker")
	}
}
