package mqttx

import (
	"strconv"
	"sync"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds, in the order a connection goes through them.
const (
	EventConnecting      EventKind = iota // a connection attempt starts (Attempt = 1, 2, ... since the last reset)
	EventConnected                        // CONNACK accepted and the registry re-subscribed (SessionPresent set)
	EventConnectFailed                    // an attempt failed (Err); the next one starts after Delay
	EventConnectionLost                   // an established connection dropped (Err); the next attempt starts after Delay
	EventSubscribeFailed                  // a registry filter was refused on (re)subscribe (Filter, Err) and dropped
	EventSlowConsumer                     // a message was dropped: the subscription's queue was full (Filter, Err = ErrSlowConsumer)
	EventDisconnected                     // Disconnect completed
)

var eventNames = [...]string{
	EventConnecting:      "connecting",
	EventConnected:       "connected",
	EventConnectFailed:   "connect failed",
	EventConnectionLost:  "connection lost",
	EventSubscribeFailed: "subscribe failed",
	EventSlowConsumer:    "slow consumer",
	EventDisconnected:    "disconnected",
}

// String returns the kind's name, such as "connected" or "connection lost".
func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event reports a change of connection state or a problem with a subscription. Fields that do not
// apply to a kind are zero.
type Event struct {
	Kind           EventKind
	Time           time.Time
	Attempt        int           // EventConnecting, EventConnectFailed, EventConnectionLost
	SessionPresent bool          // EventConnected
	Delay          time.Duration // EventConnectFailed, EventConnectionLost: sleep before the next attempt
	Filter         string        // EventSubscribeFailed, EventSlowConsumer
	Err            error
}

// eventQueue delivers events to a callback in order, on a goroutine that exists only while events are
// pending, so that a slow callback never blocks the client and an idle client holds no goroutine.
type eventQueue struct {
	fn func(Event)

	mu      sync.Mutex
	pending []Event
	running bool
	idle    chan struct{} // closed when the drainer exits; nil while none runs
}

func (q *eventQueue) emit(e Event) {
	if q.fn == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, e)
	if !q.running {
		q.running = true
		q.idle = make(chan struct{})
		go q.drain(q.idle)
	}
}

func (q *eventQueue) drain(idle chan struct{}) {
	defer close(idle)
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.pending, q.idle = nil, nil // an idle client keeps no event buffer
			q.mu.Unlock()
			return
		}
		e := q.pending[0]
		q.pending[0] = Event{}
		q.pending = q.pending[1:]
		q.mu.Unlock()
		q.fn(e)
	}
}

// wait returns a channel closed once every event emitted so far has been delivered.
func (q *eventQueue) wait() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.running {
		c := make(chan struct{})
		close(c)
		return c
	}
	return q.idle
}
