package mqttx

import "sync"

// minFIFO is the capacity a subscription's queue starts with once a
// message arrives, and keeps when it drains.
const minFIFO = 4

// fifo is a subscription's queue of pending messages: a ring buffer bounded
// by Options.QueueSize that grows with what is actually pending instead of
// being allocated whole up front (a gateway holds one per device and
// filter, mostly empty, and a preallocated buffered channel of
// DefaultQueueSize messages costs 12 KiB each). It gives its memory back
// when it drains after a burst.
//
// It also says when the subscription's worker must run: push reports the
// first message pushed while no worker runs (start one), and wakes a
// running worker through ready; a worker that has waited workerLinger for
// a message ends with stop. So at most one worker runs per subscription,
// messages are handled in order, and an idle subscription has no
// goroutine.
//
// A handler may give up its goroutine's worker role (detach): the next
// messages go to a new worker while it goes on, and when it returns its
// goroutine takes the role back if no other worker has it, else ends.
type fifo struct {
	limit int

	mu      sync.Mutex
	buf     []Message
	head    int           // index of the oldest message
	n       int           // messages pending
	running bool          // a worker is draining the queue
	closed  bool          // close was called: the worker returns, pushes are dropped
	ready   chan struct{} // capacity 1: poked by push for the running worker; made by the first push
}

func newFIFO(limit int) *fifo {
	return &fifo{limit: limit}
}

// push appends m unless limit messages are pending already. start is true
// when no worker is running: the caller must start one.
func (q *fifo) push(m Message) (ok, start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return true, false // the subscription is gone: not a slow consumer
	}
	if q.n >= q.limit {
		return false, false
	}
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = m
	q.n++
	if !q.running {
		q.running = true
		if q.ready == nil {
			q.ready = make(chan struct{}, 1)
		}
		return true, true
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true, false
}

// wait returns the channel a running worker waits on for the next push.
func (q *fifo) wait() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready
}

// stop ends the running worker's turn if nothing is pending or the queue
// is closed: it returns true, and the next push starts a new worker.
func (q *fifo) stop() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n > 0 && !q.closed {
		return false
	}
	q.running = false
	return true
}

// close drops the pending messages and makes the running worker, if
// any, return (pop reports closed): the subscription has ended.
func (q *fifo) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.buf, q.head, q.n = nil, 0, 0
	select {
	case q.ready <- struct{}{}: // nil while no worker ever ran: skipped
	default:
	}
}

// grow doubles the buffer (at most to limit), keeping the order.
func (q *fifo) grow() {
	size := min(max(2*len(q.buf), minFIFO), q.limit)
	buf := make([]Message, size)
	for i := 0; i < q.n; i++ {
		buf[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = buf, 0
}

// turn is one worker goroutine's standing with the queue, guarded by the
// queue's mutex: whether it is inside a handler, and whether that handler
// gave the worker role up.
type turn struct {
	handling bool // a message was popped and the next pop has not come
	detached bool // detach was called during that handler
}

// pop removes and returns the oldest message for the worker with turn w;
// ok is false when none is pending (wait, or stop). end is true when w's
// goroutine must return: the queue is closed, or w detached and another
// worker drains the queue now. A detached w that finds no other worker
// becomes the worker again.
func (q *fifo) pop(w *turn) (m Message, ok, end bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	w.handling = false
	if q.closed {
		return Message{}, false, true
	}
	if w.detached {
		if q.running {
			return Message{}, false, true
		}
		w.detached, q.running = false, true
	}
	if q.n == 0 {
		return Message{}, false, false
	}
	m = q.buf[q.head]
	q.buf[q.head] = Message{} // do not pin the payload
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 {
		q.head = 0
		if len(q.buf) > minFIFO {
			q.buf = nil // drained after a burst: give the memory back
		}
	}
	w.handling = true
	return m, true, false
}

// detach gives up the worker role of w, whose goroutine is inside a
// handler: ok is false when it is not (the handler returned) or gave the
// role up already. start is true when messages are pending: the caller
// must start a new worker for them, as after a push.
func (q *fifo) detach(w *turn) (ok, start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !w.handling || w.detached {
		return false, false
	}
	w.detached = true
	if q.closed {
		return true, false
	}
	q.running = q.n > 0
	return true, q.running
}
