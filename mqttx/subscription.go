package mqttx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// workerLinger is how long a subscription's worker waits for the next message before it ends: long
// enough that a steady flow of messages does not start a goroutine per message, short enough that
// an idle subscription holds none.
const workerLinger = time.Second

// subscription is one registry entry with its bounded queue; a worker goroutine runs while the queue
// is not empty.
type subscription struct {
	filter  string
	qos     byte
	handler Handler
	queue   fifo // bounded by Options.QueueSize
	sent    bool // SUBSCRIBE sent on the current connection; guarded by Client.mu
}

func (s *subscription) stop() { s.queue.close() }

// Subscribe registers handler h for filter and, when connected, sends SUBSCRIBE and waits for the
// SUBACK (or ctx). A refused filter (SUBACK 0x80) returns a *SubscribeError. While not connected the
// filter is only registered and sent on the next connection; every (re)connection re-sends the whole
// registry. Subscribe returns nil exactly when the filter is registered: on any error it is not (a
// filter already registered is replaced, and on error removed). Messages are delivered to h in
// order on a worker goroutine of the subscription; when its queue (Options.QueueSize) is full,
// messages are dropped and EventSlowConsumer reported.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte, h Handler) error {
	if err := ValidateTopicFilter(filter); err != nil {
		return err
	}
	if qos > 2 {
		return ErrInvalidQoS
	}
	if h == nil {
		return errors.New("mqttx: nil Handler")
	}
	s := &subscription{filter: filter, qos: qos, handler: h, queue: fifo{limit: c.opts.QueueSize}}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	old, _ := c.subs.Get(filter)
	c.subs.Set(filter, s)
	s.sent = c.connected
	send := s.sent
	c.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if !send {
		return nil
	}
	codes, err := c.sendSubscribe(ctx, map[string]byte{filter: qos})
	if err != nil {
		c.removeSub(s)
		return fmt.Errorf("mqttx: subscribe %q: %w", filter, err)
	}
	if code, ok := codes[filter]; !ok || code == SubackFailure {
		c.removeSub(s)
		if !ok {
			code = SubackFailure
		}
		return &SubscribeError{Filter: filter, Code: code}
	}
	return nil
}

// Unsubscribe removes filter from the registry (its queued messages are dropped) and, when connected,
// sends UNSUBSCRIBE and waits for the UNSUBACK or ctx.
func (c *Client) Unsubscribe(ctx context.Context, filter string) error {
	if err := ValidateTopicFilter(filter); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	s, _ := c.subs.Delete(filter)
	connected := c.connected
	c.mu.Unlock()
	if s != nil {
		s.stop()
	}
	if !connected {
		return nil
	}
	if err := waitToken(ctx, c.paho.Unsubscribe(filter)); err != nil {
		return fmt.Errorf("mqttx: unsubscribe %q: %w", filter, err)
	}
	return nil
}

func (c *Client) removeSub(s *subscription) {
	c.mu.Lock()
	cur, _ := c.subs.Get(s.filter)
	removed := cur == s
	if removed {
		c.subs.Delete(s.filter)
	}
	c.mu.Unlock()
	if removed {
		s.stop()
	}
}

// sendSubscribe sends one SUBSCRIBE and returns the SUBACK code per filter.
func (c *Client) sendSubscribe(ctx context.Context, filters map[string]byte) (map[string]byte, error) {
	tok := c.paho.SubscribeMultiple(filters, nil) // nil callback: everything goes to route
	if err := waitToken(ctx, tok); err != nil {
		return nil, err
	}
	return tok.(*mqtt.SubscribeToken).Result(), nil
}

// resubscribe sends every registry filter not yet sent on this connection, in batches of at most
// MaxFiltersPerSubscribe, and drops refused filters from the registry (EventSubscribeFailed). It
// returns an error when the connection failed to answer.
func (c *Client) resubscribe(ctx context.Context) error {
	for {
		c.mu.Lock()
		var pending []*subscription
		for _, s := range c.subs.All() {
			if !s.sent {
				pending = append(pending, s)
			}
		}
		sort.Slice(pending, func(i, j int) bool { return pending[i].filter < pending[j].filter })
		batch := pending[:min(len(pending), c.opts.MaxFiltersPerSubscribe)]
		filters := make(map[string]byte, len(batch))
		for _, s := range batch {
			s.sent = true
			filters[s.filter] = s.qos
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		sctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
		codes, err := c.sendSubscribe(sctx, filters)
		cancel()
		if err != nil {
			return fmt.Errorf("mqttx: re-subscribe: %w", err)
		}
		for _, s := range batch {
			code, ok := codes[s.filter]
			if ok && code != SubackFailure {
				continue
			}
			if !ok {
				code = SubackFailure
			}
			c.removeSub(s)
			err := &SubscribeError{Filter: s.filter, Code: code}
			c.log.Warn("mqttx: subscription refused", slog.String("filter", s.filter), slog.Any("err", err))
			c.events.emit(Event{Kind: EventSubscribeFailed, Filter: s.filter, Err: err})
		}
	}
}

// route is paho's default publish handler, called on paho's router goroutine: it must never block
// (a stalled router stalls keepalives), so it only enqueues the message on every matching
// subscription's queue.
func (c *Client) route(_ mqtt.Client, pm mqtt.Message) {
	// Acknowledged first, as paho's automatic acknowledgement would right
	// after route returns, but before the message is handed to a worker:
	// the acknowledgement passes through paho's goroutines, and readied
	// after them the worker would wait for them and the PUBACK's write
	// (about 19 us in process) before it handles the message.
	pm.Ack()
	m := Message{Topic: pm.Topic(), Payload: pm.Payload(), QoS: pm.Qos(), Retained: pm.Retained(), Duplicate: pm.Duplicate()}
	matched := 0
	c.mu.Lock()
	defer c.mu.Unlock()
	for filter, s := range c.subs.All() {
		if !MatchTopic(filter, m.Topic) {
			continue
		}
		mm := m
		if matched > 0 { // each handler gets its own payload
			mm.Payload = append([]byte(nil), m.Payload...)
		}
		matched++
		ok, start := s.queue.push(mm)
		if !ok {
			c.log.Warn("mqttx: slow consumer, message dropped", slog.String("filter", filter), slog.String("topic", m.Topic))
			c.events.emit(Event{Kind: EventSlowConsumer, Filter: filter, Err: ErrSlowConsumer})
		}
		if start {
			// Under c.mu with s registered: Disconnect, which clears the registry under c.mu before
			// waiting for the workers, cannot have started waiting.
			c.workers.Add(1)
			go c.work(s)
		}
	}
	if matched == 0 {
		c.log.Debug("mqttx: message matches no subscription", slog.String("topic", m.Topic))
	}
}

// work runs a subscription's handler for each queued message, in order, until the queue has stayed
// empty for workerLinger (the next message starts a new worker) or the subscription stops. A handler
// that detaches (Detach) leaves the queue to a new worker; its goroutine ends after it, unless no
// other worker runs by then.
func (c *Client) work(s *subscription) {
	defer c.workers.Done()
	w := &worker{client: c, sub: s}
	ctx := context.WithValue(c.life, workerKey{}, w)
	ready := s.queue.wait()
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		m, ok, end := s.queue.pop(&w.turn)
		switch {
		case end: // stopped (the rest was dropped), or detached and replaced
			return
		case ok:
			c.handle(ctx, s, m)
			continue
		}
		if idle == nil {
			idle = time.NewTimer(workerLinger)
		} else {
			idle.Reset(workerLinger)
		}
		select {
		case <-ready:
		case <-idle.C:
			if s.queue.stop() {
				return
			}
		}
	}
}

func (c *Client) handle(ctx context.Context, s *subscription, m Message) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("mqttx: handler panicked", slog.String("filter", s.filter), slog.String("topic", m.Topic),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		}
	}()
	s.handler(ctx, m)
}

// worker is one goroutine running a subscription's handlers; the handlers' ctx carries it, for Detach.
type worker struct {
	client *Client
	sub    *subscription
	turn   turn // guarded by sub.queue's mutex
}

type workerKey struct{}

// Detach, called by a Handler with the ctx it was given, ends the ordering of its subscription at the
// message being handled: the subscription's next messages go to their handler on another goroutine
// while this one goes on. Call it before work that takes long, once the order no longer matters (a
// command admitted, say), instead of starting a goroutine: the handler keeps its goroutine, and a new
// one starts only when another message comes in the meantime.
//
// Detach reports whether it detached: false when ctx is not a Handler's, when the handler returned
// already, or when it detached before. Call it only from the handler's own goroutine: a context
// derived from ctx carries the same worker, and another goroutine calling Detach with it would end the
// ordering at whatever message that worker handles then.
func Detach(ctx context.Context) bool {
	w, _ := ctx.Value(workerKey{}).(*worker)
	if w == nil {
		return false
	}
	ok, start := w.sub.queue.detach(&w.turn)
	if start {
		// This handler's worker is counted in workers until it returns, so the count cannot reach
		// zero (and Disconnect's wait end) before the new worker is counted.
		w.client.workers.Add(1)
		go w.client.work(w.sub)
	}
	return ok
}
