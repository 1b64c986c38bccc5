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

// pop removes and returns the oldest message; ok is false when none is
// pending (wait, or stop), closed is true once the queue is closed.
func (q *fifo) pop() (m Message, ok, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return Message{}, false, true
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
	return m, true, false
}
