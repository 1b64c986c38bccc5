package command_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// bus is an in-memory broker for tests: MQTT topic matching, each
// subscription's messages delivered in order on a goroutine of its own (as
// transport handlers run), and faults: every delivery doubled with DUP,
// messages dropped by a predicate.
type bus struct {
	mu   sync.Mutex
	subs []*busSub
	dup  bool
	drop func(topic string, payload []byte) bool
	tap  func(from *fakeTransport, topic string, payload []byte)
	log  []busMsg
}

type busMsg struct {
	from    string // client id of the publisher, "" for the test
	topic   string
	payload string
	qos     byte
}

type busSub struct {
	owner  *fakeTransport
	filter string
	qos    byte
	h      transport.Handler
	q      chan transport.Message
	done   chan struct{}

	mu     sync.Mutex
	closed bool
}

func newBus(t testing.TB) *bus {
	b := &bus{}
	t.Cleanup(b.close)
	return b
}

// setDuplicate makes every delivery happen twice, the second with DUP set.
func (b *bus) setDuplicate(on bool) { b.mu.Lock(); b.dup = on; b.mu.Unlock() }

// setDrop installs a predicate that loses matching messages.
func (b *bus) setDrop(f func(topic string, payload []byte) bool) {
	b.mu.Lock()
	b.drop = f
	b.mu.Unlock()
}

// setTap installs a function that sees every publish first (the emulated
// cloud's side).
func (b *bus) setTap(f func(from *fakeTransport, topic string, payload []byte)) {
	b.mu.Lock()
	b.tap = f
	b.mu.Unlock()
}

// publish delivers to every matching subscription (only to's, when to is
// not nil).
func (b *bus) publish(from, to *fakeTransport, topic string, payload []byte, qos byte) {
	b.mu.Lock()
	name := ""
	if from != nil {
		name = from.info.ClientID
	}
	b.log = append(b.log, busMsg{from: name, topic: topic, payload: string(payload), qos: qos})
	drop, tap, dup := b.drop, b.tap, b.dup
	var targets []*busSub
	for _, s := range b.subs {
		if (to == nil || s.owner == to) && mqttx.MatchTopic(s.filter, topic) {
			targets = append(targets, s)
		}
	}
	b.mu.Unlock()
	if tap != nil && from != nil {
		tap(from, topic, payload)
	}
	if drop != nil && drop(topic, payload) {
		return
	}
	for _, s := range targets {
		m := transport.Message{Topic: topic, Payload: append([]byte(nil), payload...), QoS: min(qos, s.qos)}
		s.enqueue(m)
		if dup {
			m.Duplicate = true
			s.enqueue(m)
		}
	}
}

// enqueue queues m unless the subscription is gone.
func (s *busSub) enqueue(m transport.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.q <- m // the queue is large enough for any test
	}
}

func (s *busSub) close() {
	s.mu.Lock()
	s.closed = true
	close(s.q)
	s.mu.Unlock()
	<-s.done
}

// messages returns the publishes on topics matching filter, in order.
func (b *bus) messages(filter string) []busMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []busMsg
	for _, m := range b.log {
		if mqttx.MatchTopic(filter, m.topic) {
			out = append(out, m)
		}
	}
	return out
}

func (b *bus) subscribe(owner *fakeTransport, filter string, qos byte, h transport.Handler) {
	b.unsubscribe(owner, filter)
	s := &busSub{owner: owner, filter: filter, qos: qos, h: h, q: make(chan transport.Message, 4096), done: make(chan struct{})}
	b.mu.Lock()
	b.subs = append(b.subs, s)
	b.mu.Unlock()
	go func() {
		defer close(s.done)
		for m := range s.q {
			s.h(owner.ctx, m)
		}
	}()
}

func (b *bus) unsubscribe(owner *fakeTransport, filter string) {
	b.mu.Lock()
	var gone []*busSub
	kept := b.subs[:0]
	for _, s := range b.subs {
		if s.owner == owner && (filter == "" || s.filter == filter) {
			gone = append(gone, s)
		} else {
			kept = append(kept, s)
		}
	}
	b.subs = kept
	b.mu.Unlock()
	for _, s := range gone {
		s.close()
	}
}

// subscribed reports whether owner has a subscription to exactly filter.
func (b *bus) subscribed(owner *fakeTransport, filter string) (qos byte, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if s.owner == owner && s.filter == filter {
			return s.qos, true
		}
	}
	return 0, false
}

func (b *bus) close() {
	b.mu.Lock()
	owners := map[*fakeTransport]bool{}
	for _, s := range b.subs {
		owners[s.owner] = true
	}
	b.mu.Unlock()
	for o := range owners {
		b.unsubscribe(o, "")
	}
}

// fakeTransport is a transport.Transport on a bus. On AWS and plain MQTT,
// canonical topics are "{device}/" + canonical, as the adapters do; on
// Azure only the raw methods work. maxPayload, when positive, refuses larger
// payloads with transport.ErrPayloadTooLarge, as the AWS adapter does.
type fakeTransport struct {
	bus        *bus
	info       transport.Info
	maxPayload int
	ctx        context.Context
	cancel     context.CancelFunc
}

var _ transport.Transport = (*fakeTransport)(nil)

func newFakeTransport(t testing.TB, b *bus, cloud transport.Cloud, device string) *fakeTransport {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTransport{bus: b, info: transport.Info{Cloud: cloud, DeviceID: device, ClientID: device}, ctx: ctx, cancel: cancel}
	t.Cleanup(func() { _ = ft.Close(context.Background()) })
	return ft
}

func (f *fakeTransport) Connect(context.Context) error { return nil }

func (f *fakeTransport) Close(context.Context) error {
	f.cancel()
	f.bus.unsubscribe(f, "")
	return nil
}

func (f *fakeTransport) check(payload []byte) error {
	if f.maxPayload > 0 && len(payload) > f.maxPayload {
		return &transport.LimitError{Kind: transport.ErrPayloadTooLarge, Cloud: f.info.Cloud,
			Limit: "payload size", Value: len(payload), Max: f.maxPayload}
	}
	return nil
}

func (f *fakeTransport) Send(ctx context.Context, msg transport.Message) error {
	if f.info.Cloud == transport.CloudAzure {
		return errors.New("fake: Send is not emulated on Azure")
	}
	if err := transport.ValidateTopic(msg.Topic); err != nil {
		return err
	}
	if err := f.check(msg.Payload); err != nil {
		return err
	}
	f.bus.publish(f, nil, f.info.DeviceID+"/"+msg.Topic, msg.Payload, msg.QoS)
	return ctx.Err()
}

func (f *fakeTransport) Handle(ctx context.Context, filter string, h transport.Handler) error {
	if f.info.Cloud == transport.CloudAzure {
		return errors.New("fake: Handle is not emulated on Azure")
	}
	if err := transport.ValidateFilter(filter); err != nil {
		return err
	}
	prefix := f.info.DeviceID + "/"
	f.bus.subscribe(f, prefix+filter, transport.SubscribeQoS, func(ctx context.Context, m transport.Message) {
		m.Topic = strings.TrimPrefix(m.Topic, prefix)
		h(ctx, m)
	})
	return ctx.Err()
}

func (f *fakeTransport) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := f.check(payload); err != nil {
		return err
	}
	f.bus.publish(f, nil, topic, payload, qos)
	return ctx.Err()
}

func (f *fakeTransport) SubscribeRaw(ctx context.Context, filter string, qos byte, h transport.Handler) error {
	f.bus.subscribe(f, filter, qos, h)
	return ctx.Err()
}

func (f *fakeTransport) UnsubscribeRaw(ctx context.Context, filter string) error {
	f.bus.unsubscribe(f, filter)
	return ctx.Err()
}

func (f *fakeTransport) Watch(func(transport.Event)) (stop func()) { return func() {} }

func (f *fakeTransport) Info() transport.Info { return f.info }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
