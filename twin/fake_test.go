package twin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// fakeTransport is an in-process transport.Transport whose "hub" is a
// twinsvc.Service. Requests published with PublishRaw are answered by the
// service; replies and desired patches reach the subscribed raw handlers
// asynchronously, in order, on the fake's delivery goroutine (as the real
// transport's workers do). Knobs drop, duplicate, hold back (to reorder)
// and intercept messages, and simulate disconnects and reconnects.
type fakeTransport struct {
	svc    *twinsvc.Service
	device string

	mu        sync.Mutex
	connected bool
	subs      map[string]transport.Handler
	subOrder  []string // filters in the order they were first subscribed
	watchers  map[int]func(transport.Event)
	nextWatch int
	published []transport.Message
	queue     []transport.Message
	held      []transport.Message

	// Knobs, set under mu (use set).
	drop        func(topic string) bool // true: the message to the device is lost
	duplicate   bool                    // every message to the device is delivered twice
	holdDesired bool                    // desired patches wait in held until release
	// beforeRequest and afterRequest run in PublishRaw around the service's
	// handling of a request (without mu held): a desired update made in
	// before is in the request's answer, one made in after is delivered
	// before the answer.
	beforeRequest func(topic string)
	afterRequest  func(topic string)

	signal chan struct{}
	stop   chan struct{}
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
}

var _ transport.Transport = (*fakeTransport)(nil)

// newFakeTransport returns a connected fake whose delivery goroutine is
// stopped by t.Cleanup.
func newFakeTransport(t testing.TB, svc *twinsvc.Service, device string) *fakeTransport {
	f := newFake(svc, device)
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// newFake returns a connected fake; Close stops it.
func newFake(svc *twinsvc.Service, device string) *fakeTransport {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeTransport{
		svc:       svc,
		device:    device,
		connected: true,
		subs:      make(map[string]transport.Handler),
		watchers:  make(map[int]func(transport.Event)),
		signal:    make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		ctx:       ctx,
		cancel:    cancel,
	}
	go f.deliverLoop()
	return f
}

func (f *fakeTransport) set(fn func(f *fakeTransport)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeTransport) Connect(ctx context.Context) error { f.reconnect(); return nil }

// Close stops the delivery goroutine.
func (f *fakeTransport) Close(ctx context.Context) error {
	select {
	case <-f.stop:
	default:
		close(f.stop)
		f.cancel()
	}
	<-f.done
	return nil
}

func (f *fakeTransport) Send(ctx context.Context, msg transport.Message) error {
	return errors.New("fake: Send not supported")
}

func (f *fakeTransport) Handle(ctx context.Context, filter string, h transport.Handler) error {
	return errors.New("fake: Handle not supported")
}

func (f *fakeTransport) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	if !f.connected {
		f.mu.Unlock()
		return mqttx.ErrNotConnected
	}
	f.published = append(f.published, transport.Message{Topic: topic, Payload: append([]byte(nil), payload...), QoS: qos})
	before, after := f.beforeRequest, f.afterRequest
	f.mu.Unlock()
	if before != nil {
		before(topic)
	}
	replies := f.svc.HandlePublish(f.device, topic, payload)
	if after != nil {
		after(topic)
	}
	for _, r := range replies {
		f.toDevice(r)
	}
	return nil
}

func (f *fakeTransport) SubscribeRaw(ctx context.Context, filter string, qos byte, h transport.Handler) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[filter]; !ok {
		f.subOrder = append(f.subOrder, filter)
	}
	f.subs[filter] = h
	return nil
}

func (f *fakeTransport) UnsubscribeRaw(ctx context.Context, filter string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, filter)
	return nil
}

func (f *fakeTransport) Watch(fn func(transport.Event)) (stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextWatch
	f.nextWatch++
	f.watchers[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.watchers, id)
	}
}

func (f *fakeTransport) Info() transport.Info {
	return transport.Info{Cloud: transport.CloudAzure, DeviceID: f.device, ClientID: f.device}
}

// emit calls the watchers in registration order, as the transport's event
// goroutine does (here on the caller's goroutine).
func (f *fakeTransport) emit(kind transport.EventKind) {
	f.mu.Lock()
	fns := make([]func(transport.Event), 0, len(f.watchers))
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

// disconnect drops the connection: messages in flight to the device are lost.
func (f *fakeTransport) disconnect() {
	f.mu.Lock()
	f.connected = false
	f.queue = nil
	f.mu.Unlock()
	f.emit(transport.EventConnectionLost)
}

// reconnect brings the connection back (subscriptions are restored, as
// the transport does).
func (f *fakeTransport) reconnect() {
	f.mu.Lock()
	f.connected = true
	f.mu.Unlock()
	f.emit(transport.EventConnected)
}

// updateDesired changes the desired properties through the service API and
// delivers the notification if the device is online and subscribed.
func (f *fakeTransport) updateDesired(t testing.TB, patch map[string]any) int64 {
	t.Helper()
	v, err := f.publishDesired(patch)
	if err != nil {
		t.Fatalf("UpdateDesired: %v", err)
	}
	return v
}

// publishDesired is updateDesired without a testing.TB.
func (f *fakeTransport) publishDesired(patch map[string]any) (int64, error) {
	v, pubs, err := f.svc.UpdateDesired(f.device, patch)
	if err != nil {
		return 0, err
	}
	for _, p := range pubs {
		f.toDevice(p)
	}
	return v, nil
}

// toDevice sends a message to the device, applying the knobs.
func (f *fakeTransport) toDevice(p twinsvc.Publish) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.connected || f.handlerLocked(p.Topic) == nil {
		return // the hub queues nothing for an offline or unsubscribed device
	}
	if f.drop != nil && f.drop(p.Topic) {
		return
	}
	msg := transport.Message{Topic: p.Topic, Payload: p.Payload, QoS: 1}
	if f.holdDesired && strings.HasPrefix(p.Topic, "$iothub/twin/PATCH/properties/desired/") {
		f.held = append(f.held, msg)
		return
	}
	f.queue = append(f.queue, msg)
	if f.duplicate {
		dup := msg
		dup.Duplicate = true
		f.queue = append(f.queue, dup)
	}
	f.wake()
}

// release delivers the held desired patches in the order given by idx
// (indexes into the held list), and forgets the others.
func (f *fakeTransport) release(idx ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range idx {
		f.queue = append(f.queue, f.held[i])
	}
	f.held = nil
	f.wake()
}

// deliverRaw sends an arbitrary message to the device's handler.
func (f *fakeTransport) deliverRaw(topic string, payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, transport.Message{Topic: topic, Payload: payload, QoS: 1})
	f.wake()
}

func (f *fakeTransport) wake() {
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

func (f *fakeTransport) handlerLocked(topic string) transport.Handler {
	for filter, h := range f.subs {
		if mqttx.MatchTopic(filter, topic) {
			return h
		}
	}
	return nil
}

func (f *fakeTransport) deliverLoop() {
	defer close(f.done)
	for {
		select {
		case <-f.stop:
			return
		case <-f.signal:
		}
		for {
			f.mu.Lock()
			if len(f.queue) == 0 || !f.connected {
				f.mu.Unlock()
				break
			}
			msg := f.queue[0]
			f.queue = f.queue[1:]
			h := f.handlerLocked(msg.Topic)
			f.mu.Unlock()
			if h != nil {
				h(f.ctx, msg)
			}
		}
	}
}

// requests returns the topics the device published that start with prefix.
func (f *fakeTransport) requests(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.published {
		if strings.HasPrefix(m.Topic, prefix) {
			out = append(out, m.Topic)
		}
	}
	return out
}

func (f *fakeTransport) subscriptions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.subOrder...)
}

const (
	getPrefix   = "$iothub/twin/GET/"
	patchPrefix = "$iothub/twin/PATCH/properties/reported/"
)

// publishedPayloads returns the payloads the device published on topics
// starting with prefix.
func (f *fakeTransport) publishedPayloads(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.published {
		if strings.HasPrefix(m.Topic, prefix) {
			out = append(out, string(m.Payload))
		}
	}
	return out
}
