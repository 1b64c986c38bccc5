package shadow_test

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/transport"
)

// fakeTransport is an in-process transport.Transport for one thing: raw
// publishes on shadow topics go to a shadowsvc.Service, and its replies are
// delivered asynchronously to the subscribed raw handlers, each
// subscription's messages in order on its own goroutine (as transport.Conn
// does). Knobs drop, duplicate, capture and reorder replies, and simulate a
// connection that drops and comes back.
type fakeTransport struct {
	svc   *shadowsvc.Service
	thing string

	ctx    context.Context // handler ctx, cancelled by Close
	cancel context.CancelFunc

	mu         sync.Mutex
	connected  bool
	subs       map[string]*fakeSub
	subscribed []string // every SubscribeRaw filter, in order
	requests   []string // every PublishRaw topic, in order
	watchers   map[int]func(transport.Event)
	nextWatch  int
	filter     func(shadowsvc.Publish) []shadowsvc.Publish // nil: deliver as is
	capture    bool
	captured   []shadowsvc.Publish
	publishErr error
	handled    map[string]int // messages handled by the subscribers, by topic
}

// fakeSub is one raw subscription with its delivery goroutine.
type fakeSub struct {
	filter string
	h      transport.Handler
	queue  chan transport.Message
	done   chan struct{}
}

var errFakeNotConnected = errors.New("fake: not connected")

func newFakeTransport(thing string, svc *shadowsvc.Service) *fakeTransport {
	f := &fakeTransport{
		svc:       svc,
		thing:     thing,
		connected: true,
		subs:      make(map[string]*fakeSub),
		watchers:  make(map[int]func(transport.Event)),
		handled:   make(map[string]int),
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	return f
}

func (f *fakeTransport) Connect(context.Context) error { f.reconnect(); return nil }

func (f *fakeTransport) Close(context.Context) error {
	f.cancel()
	f.mu.Lock()
	subs := f.subs
	f.subs = make(map[string]*fakeSub)
	f.connected = false
	f.mu.Unlock()
	for _, s := range subs {
		s.stop()
	}
	return nil
}

func (f *fakeTransport) Send(context.Context, transport.Message) error {
	return errors.New("fake: Send not supported")
}

func (f *fakeTransport) Handle(context.Context, string, transport.Handler) error {
	return errors.New("fake: Handle not supported")
}

func (f *fakeTransport) Info() transport.Info {
	return transport.Info{Cloud: transport.CloudAWS, DeviceID: f.thing, ClientID: f.thing}
}

// PublishRaw hands the request to the service and delivers its replies.
func (f *fakeTransport) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	if f.publishErr != nil || !f.connected {
		err := f.publishErr
		if err == nil {
			err = errFakeNotConnected
		}
		f.mu.Unlock()
		return err
	}
	f.requests = append(f.requests, topic)
	f.mu.Unlock()
	replies, _ := f.svc.HandlePublish(f.thing, topic, payload)
	f.deliver(replies...)
	return nil
}

// deliver routes service publishes through the knobs to the subscribers,
// if connected (the broker keeps nothing for an offline clean session).
func (f *fakeTransport) deliver(ps ...shadowsvc.Publish) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		out := []shadowsvc.Publish{p}
		if f.filter != nil {
			out = f.filter(p)
		}
		if f.capture {
			f.captured = append(f.captured, out...)
			continue
		}
		f.sendLocked(out...)
	}
}

// sendLocked queues publishes to the matching subscriptions.
func (f *fakeTransport) sendLocked(ps ...shadowsvc.Publish) {
	if !f.connected {
		return
	}
	for _, p := range ps {
		for _, s := range f.subs {
			if matchTopic(s.filter, p.Topic) {
				s.queue <- transport.Message{Topic: p.Topic, Payload: p.Payload, QoS: 1}
			}
		}
	}
}

func (f *fakeTransport) SubscribeRaw(_ context.Context, filter string, _ byte, h transport.Handler) error {
	s := &fakeSub{filter: filter, h: h, queue: make(chan transport.Message, 1024), done: make(chan struct{})}
	f.mu.Lock()
	old := f.subs[filter]
	f.subs[filter] = s
	f.subscribed = append(f.subscribed, filter)
	f.mu.Unlock()
	if old != nil {
		old.stop()
	}
	go s.run(f.ctx, f.countHandled)
	return nil
}

func (f *fakeTransport) UnsubscribeRaw(_ context.Context, filter string) error {
	f.mu.Lock()
	s := f.subs[filter]
	delete(f.subs, filter)
	f.mu.Unlock()
	if s != nil {
		s.stop()
	}
	return nil
}

func (s *fakeSub) run(ctx context.Context, handled func(topic string)) {
	for {
		select {
		case m := <-s.queue:
			s.h(ctx, m)
			handled(m.Topic)
		case <-s.done:
			return
		}
	}
}

func (s *fakeSub) stop() { close(s.done) }

func (f *fakeTransport) Watch(fn func(transport.Event)) (stop func()) {
	f.mu.Lock()
	id := f.nextWatch
	f.nextWatch++
	f.watchers[id] = fn
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.watchers, id)
		f.mu.Unlock()
	}
}

// emit calls the watchers in registration order on the caller's goroutine.
func (f *fakeTransport) emit(kind transport.EventKind) {
	f.mu.Lock()
	var fns []func(transport.Event)
	for i := 0; i < f.nextWatch; i++ {
		if fn, ok := f.watchers[i]; ok {
			fns = append(fns, fn)
		}
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn(transport.Event{Kind: kind})
	}
}

// disconnect drops the connection: nothing is delivered or published until
// reconnect.
func (f *fakeTransport) disconnect() {
	f.mu.Lock()
	f.connected = false
	f.mu.Unlock()
	f.emit(transport.EventConnectionLost)
}

// reconnect brings the connection back (subscriptions are kept, as the
// transport restores them).
func (f *fakeTransport) reconnect() {
	f.mu.Lock()
	f.connected = true
	f.mu.Unlock()
	f.emit(transport.EventConnected)
}

// cloud delivers what a cloud-side control of the service published.
func (f *fakeTransport) cloud(ps []shadowsvc.Publish, err error) error {
	if err != nil {
		return err
	}
	f.deliver(ps...)
	return nil
}

// setFilter transforms every reply from now on: return nil to drop it, the
// same publish twice to duplicate it.
func (f *fakeTransport) setFilter(fn func(shadowsvc.Publish) []shadowsvc.Publish) {
	f.mu.Lock()
	f.filter = fn
	f.mu.Unlock()
}

// setCapture starts or stops keeping replies instead of delivering them.
func (f *fakeTransport) setCapture(on bool) {
	f.mu.Lock()
	f.capture = on
	f.mu.Unlock()
}

// takeCaptured returns and forgets the captured replies.
func (f *fakeTransport) takeCaptured() []shadowsvc.Publish {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps := f.captured
	f.captured = nil
	return ps
}

// release delivers publishes as they are, bypassing filter and capture.
func (f *fakeTransport) release(ps ...shadowsvc.Publish) {
	f.mu.Lock()
	f.sendLocked(ps...)
	f.mu.Unlock()
}

// published counts the requests published to topics ending with suffix.
func (f *fakeTransport) published(suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.requests {
		if strings.HasSuffix(t, suffix) {
			n++
		}
	}
	return n
}

func (f *fakeTransport) countHandled(topic string) {
	f.mu.Lock()
	f.handled[topic]++
	f.mu.Unlock()
}

// handledCount returns how many messages on topic the subscribers have
// handled (their handler returned).
func (f *fakeTransport) handledCount(topic string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.handled[topic]
}

// active returns the filters subscribed now.
func (f *fakeTransport) active() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for filter := range f.subs {
		out = append(out, filter)
	}
	return out
}

// matchTopic is MQTT matching for the filters the client uses.
func matchTopic(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || f != "+" && f != ts[i] {
			return false
		}
	}
	return len(fs) == len(ts)
}
