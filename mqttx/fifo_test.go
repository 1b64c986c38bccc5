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
			m, ok, _ := q.pop()
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
	if _, ok, _ := q.pop(); ok {
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
	q.pop()
	q.pop()
	q.pop()
	if _, ok, _ := q.pop(); ok {
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
	q.pop()
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
	if _, ok, closed := q.pop(); ok || !closed {
		t.Fatalf("pop after close: ok %v, closed %v; want the pending messages dropped and closed", ok, closed)
	}
	if !q.stop() {
		t.Fatal("stop on a closed queue did not end the worker's turn")
	}
	if _, start := q.push(Message{Topic: "c"}); start {
		t.Fatal("push after close started a worker")
	}
}
