package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

func TestSendCanonicalTopic(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)

	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("hello"), QoS: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := c.Send(ctx, transport.Message{Topic: "response/sensor/12/reading", Payload: []byte("21.5"), QoS: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := b.Received(testDevice)
	want := []mqttxtest.Message{
		{Topic: "dev1/events", Payload: []byte("hello"), QoS: 1},
		{Topic: "dev1/response/sensor/12/reading", Payload: []byte("21.5"), QoS: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("broker received %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Topic != want[i].Topic || !bytes.Equal(got[i].Payload, want[i].Payload) || got[i].QoS != want[i].QoS {
			t.Errorf("message %d = %s %q QoS %d, want %s %q QoS %d", i,
				got[i].Topic, got[i].Payload, got[i].QoS, want[i].Topic, want[i].Payload, want[i].QoS)
		}
	}
}

// Nothing reaches the broker when Send refuses a message.
func TestSendRefusesBeforeSending(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)

	for _, tc := range []struct {
		name string
		msg  transport.Message
		want error
	}{
		{"wildcard", transport.Message{Topic: "events/#"}, transport.ErrInvalidTopic},
		{"empty level", transport.Message{Topic: "a//b"}, transport.ErrInvalidTopic},
		{"dollar", transport.Message{Topic: "$SYS/x"}, transport.ErrInvalidTopic},
		{"properties", transport.Message{Topic: "events", Properties: transport.Properties{ContentType: "application/json"}}, transport.ErrPropertiesNotSupported},
		{"QoS 2", transport.Message{Topic: "events", QoS: 2}, transport.ErrQoSNotSupported},
	} {
		if err := c.Send(ctx, tc.msg); !errors.Is(err, tc.want) {
			t.Errorf("%s: Send = %v, want %v", tc.name, err, tc.want)
		}
	}
	// A QoS 1 round trip after the refusals: if any of them had been sent,
	// the broker would have received it first.
	if err := c.Send(ctx, transport.Message{Topic: "events", QoS: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := b.Received(testDevice); len(got) != 1 || got[0].Topic != "dev1/events" {
		t.Errorf("broker received %+v, want only dev1/events", got)
	}
}

func TestHandleReceivesCanonicalTopics(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)
	in := newInbox()
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatalf("Handle: %v", err)
	}

	if err := b.Publish("dev1/request/sensor/list", []byte(`{"tid":1}`), 1, false); err != nil {
		t.Fatal(err)
	}
	m := in.next(t)
	if m.Topic != "request/sensor/list" || string(m.Payload) != `{"tid":1}` || m.QoS != 1 {
		t.Errorf("got %s %q QoS %d, want request/sensor/list {\"tid\":1} QoS 1", m.Topic, m.Payload, m.QoS)
	}
	// Another device's requests and this device's other topics are not
	// delivered.
	_ = b.Publish("dev2/request/sensor/list", []byte("x"), 1, false)
	_ = b.Publish("dev1/config/x", []byte("x"), 1, false)
	in.none(t, 100*time.Millisecond)
}

// Two canonical filters that share one cloud filter are both subscribed
// with one SUBSCRIBE, and each message goes to every handler whose
// canonical filter matches it, and only to those.
func TestSharedCloudFilterDispatch(t *testing.T) {
	subs := &subscribeLog{}
	b := mqttxtest.NewBroker(t, mqttxtest.WithAuthorizer(subs.authorize))
	c := newDown(t, b, transport.Limits{})
	connect(t, c)
	ctx := testContext(t)

	alarms, configs := newInbox(), newInbox()
	if err := c.Handle(ctx, "alarm/#", alarms.handler); err != nil {
		t.Fatalf("Handle alarm/#: %v", err)
	}
	if err := c.Handle(ctx, "+/fan", configs.handler); err != nil {
		t.Fatalf("Handle +/fan: %v", err)
	}
	if n := subs.count(downPrefix + "#"); n != 1 {
		t.Errorf("the shared cloud filter was subscribed %d times, want 1", n)
	}

	publish := func(canonical string) {
		t.Helper()
		if err := b.Publish(downPrefix+canonical, []byte(canonical), 1, false); err != nil {
			t.Fatal(err)
		}
	}
	publish("alarm/temp")
	if m := alarms.next(t); m.Topic != "alarm/temp" {
		t.Errorf("alarm handler got %q, want alarm/temp", m.Topic)
	}
	publish("config/fan")
	if m := configs.next(t); m.Topic != "config/fan" {
		t.Errorf("config handler got %q, want config/fan", m.Topic)
	}
	publish("alarm/fan") // matches both
	if m := alarms.next(t); m.Topic != "alarm/fan" {
		t.Errorf("alarm handler got %q, want alarm/fan", m.Topic)
	}
	if m := configs.next(t); m.Topic != "alarm/fan" {
		t.Errorf("config handler got %q, want alarm/fan", m.Topic)
	}
	publish("other/x") // matches neither
	alarms.none(t, 100*time.Millisecond)
	configs.none(t, 0)

	// Handling a filter again replaces its handler.
	replaced := newInbox()
	if err := c.Handle(ctx, "alarm/#", replaced.handler); err != nil {
		t.Fatalf("Handle again: %v", err)
	}
	publish("alarm/smoke")
	if m := replaced.next(t); m.Topic != "alarm/smoke" {
		t.Errorf("new handler got %q, want alarm/smoke", m.Topic)
	}
	alarms.none(t, 100*time.Millisecond)
}

// Subscriptions count distinct cloud filters: canonical filters sharing one
// count once.
func TestSubscriptionLimit(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newDown(t, b, transport.Limits{MaxSubscriptions: 2})
	connect(t, c)
	ctx := testContext(t)
	h := newInbox().handler

	if err := c.Handle(ctx, "a/#", h); err != nil {
		t.Fatal(err)
	}
	if err := c.SubscribeRaw(ctx, "broadcast/#", 1, h); err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(ctx, "b/#", h); err != nil {
		t.Errorf("Handle on the shared cloud filter: %v, want nil", err)
	}
	err := c.SubscribeRaw(ctx, "other/#", 1, h)
	if !errors.Is(err, transport.ErrTooManySubscriptions) {
		t.Fatalf("third cloud filter: %v, want ErrTooManySubscriptions", err)
	}
	var le *transport.LimitError
	if !errors.As(err, &le) || le.Max != 2 || le.Value != 3 {
		t.Errorf("error %v: want a *LimitError with Value 3, Max 2", err)
	}
	// Unsubscribing frees a place.
	if err := c.UnsubscribeRaw(ctx, "broadcast/#"); err != nil {
		t.Fatal(err)
	}
	if err := c.SubscribeRaw(ctx, "other/#", 1, h); err != nil {
		t.Errorf("after UnsubscribeRaw: %v, want nil", err)
	}
}

func TestPlainAdapterSubscriptionLimit(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.MaxSubscriptions = 1
	c := connectPlain(t, cfg)
	ctx := testContext(t)
	if err := c.Handle(ctx, "request/#", newInbox().handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(ctx, "config/#", newInbox().handler); !errors.Is(err, transport.ErrTooManySubscriptions) {
		t.Errorf("second filter: %v, want ErrTooManySubscriptions", err)
	}
}

// A filter the broker refuses is not kept, and does not count.
func TestHandleRefused(t *testing.T) {
	subs := &subscribeLog{refuse: func(f string) bool { return f == "dev1/forbidden/#" }}
	b := mqttxtest.NewBroker(t, mqttxtest.WithAuthorizer(subs.authorize))
	cfg := plainConfig(b)
	cfg.MaxSubscriptions = 1
	c := connectPlain(t, cfg)
	ctx := testContext(t)

	err := c.Handle(ctx, "forbidden/#", newInbox().handler)
	if !errors.Is(err, mqttx.ErrSubscriptionRefused) {
		t.Fatalf("Handle = %v, want ErrSubscriptionRefused", err)
	}
	if err := c.Handle(ctx, "request/#", newInbox().handler); err != nil {
		t.Errorf("Handle after a refusal: %v (the refused filter still counts?)", err)
	}
}

// A subscription the broker refuses when it is restored after a reconnect
// is forgotten: the next Handle subscribes it again.
func TestRefusedOnResubscribeIsForgotten(t *testing.T) {
	subs := &subscribeLog{}
	b := mqttxtest.NewBroker(t, mqttxtest.WithAuthorizer(subs.authorize))
	c := newPlain(t, plainConfig(b))
	events := newEventLog()
	c.Watch(events.watch)
	connect(t, c)
	ctx := testContext(t)
	if err := c.Handle(ctx, "request/#", newInbox().handler); err != nil {
		t.Fatal(err)
	}

	subs.setRefuse(func(string) bool { return true })
	b.Disconnect(testDevice)
	if ev := events.waitFor(t, transport.EventSubscribeFailed); ev.Filter != "dev1/request/#" {
		t.Errorf("EventSubscribeFailed for %q, want dev1/request/#", ev.Filter)
	}
	subs.setRefuse(nil)

	in := newInbox()
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatalf("Handle again: %v", err)
	}
	if n := subs.count("dev1/request/#"); n != 3 {
		t.Errorf("dev1/request/# subscribed %d times, want 3 (first, refused, again)", n)
	}
	_ = b.Publish("dev1/request/x", []byte("1"), 1, false)
	if m := in.next(t); m.Topic != "request/x" {
		t.Errorf("got %q, want request/x", m.Topic)
	}
}

// PublishRate 50/s with a burst of 5: 20 publishes take at least 15/50 s.
func TestPublishRateLimit(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.PublishRate = 50
	c := connectPlain(t, cfg)
	ctx := testContext(t)

	start := time.Now()
	for i := range 20 {
		if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Errorf("20 sends at 50/s took %v, want >= ~300ms", elapsed)
	}

	// The budget is spent: a ctx that ends before the next turn fails the
	// send with the ctx's error, without waiting for the deadline.
	short, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
	defer cancel()
	if err := c.Send(short, transport.Message{Topic: "events"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a short deadline = %v, want DeadlineExceeded", err)
	}
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := c.Send(cancelled, transport.Message{Topic: "events"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled ctx = %v, want Canceled", err)
	}
	// PublishRaw is paced too.
	start = time.Now()
	for range 3 {
		if err := c.PublishRaw(ctx, "raw/topic", nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
		t.Errorf("3 raw publishes on a spent budget took %v, want >= ~40ms", elapsed)
	}
}

// ByteRate 1000 B/s, burst 100 B: a 300-byte payload, larger than the
// burst, is paced at the rate (0.3 s), not let through for one burst.
func TestByteRateLimitLargePayload(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.ByteRate = 1000
	c := connectPlain(t, cfg)
	ctx := testContext(t)

	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: make([]byte, 100), QoS: 1}); err != nil {
		t.Fatal(err) // spends the initial burst
	}
	start := time.Now()
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: make([]byte, 300), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Errorf("300 B at 1000 B/s took %v, want >= ~300ms", elapsed)
	}

	// A wait that would outlast the deadline fails at once and spends
	// nothing. (QoS 0: a QoS 1 message would stay queued in the outbox.)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	err := c.Send(short, transport.Message{Topic: "events", Payload: make([]byte, 500), QoS: 0})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send past the deadline = %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 40*time.Millisecond {
		t.Errorf("the refused Send took %v, want an immediate answer", elapsed)
	}
	if n := len(b.Received(testDevice)); n != 2 {
		t.Errorf("broker received %d messages, want 2", n)
	}
	// The refused send spent nothing: 100 B are due after ~0.1 s.
	start = time.Now()
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: make([]byte, 100), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 250*time.Millisecond {
		t.Errorf("100 B after a refused send took %v, want ~100ms (tokens lost?)", elapsed)
	}
}

func TestWatchFanOutAndStop(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	w1, w2 := newEventLog(), newEventLog()
	stop1 := c.Watch(w1.watch)
	stop2 := c.Watch(w2.watch)
	defer stop2()
	connect(t, c)
	for _, w := range []*eventLog{w1, w2} {
		w.waitFor(t, transport.EventConnected)
	}
	if w1.count(transport.EventConnecting) != 1 || w2.count(transport.EventConnecting) != 1 {
		t.Errorf("EventConnecting: watcher 1 saw %s, watcher 2 saw %s; want one each", w1, w2)
	}

	stop1()
	stop1() // stopping twice is harmless
	before := w1.String()
	b.Disconnect(testDevice)
	w2.waitFor(t, transport.EventConnectionLost)
	w2.waitFor(t, transport.EventConnected)
	// Both watchers are called on the same goroutine, in registration
	// order: had watcher 1 still been registered, it would have seen these
	// events by now.
	if after := w1.String(); after != before {
		t.Errorf("stopped watcher saw more events: %s, then %s", before, after)
	}
}

func TestSubscriptionsRestoredAfterConnectionLoss(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	events := newEventLog()
	c.Watch(events.watch)
	connect(t, c)
	ctx := testContext(t)
	in := newInbox()
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	raw := newInbox()
	if err := c.SubscribeRaw(ctx, "broadcast/#", 1, raw.handler); err != nil {
		t.Fatal(err)
	}

	for round := range 2 {
		if !b.Disconnect(testDevice) {
			t.Fatalf("round %d: the device was not connected", round)
		}
		events.waitFor(t, transport.EventConnectionLost)
		events.waitFor(t, transport.EventConnected)
		m := eventually(t, in, func() error { return b.Publish("dev1/request/ping", []byte("p"), 1, false) })
		if m.Topic != "request/ping" {
			t.Errorf("round %d: got %q, want request/ping", round, m.Topic)
		}
		m = eventually(t, raw, func() error { return b.Publish("broadcast/all", []byte("b"), 1, false) })
		if m.Topic != "broadcast/all" {
			t.Errorf("round %d: raw got %q, want broadcast/all", round, m.Topic)
		}
	}
	if err := c.Send(ctx, transport.Message{Topic: "events", QoS: 1}); err != nil {
		t.Errorf("Send after reconnects: %v", err)
	}
}

// MaxConnectionAge replaces the connection before it is that old: the
// renewals need no backoff and no failed attempt, and the subscriptions
// survive them. (That no will is published, i.e. the broker sees a
// DISCONNECT, is checked against mosquitto in transport/mqtt: mqttxtest
// may process the new CONNECT before the old connection's DISCONNECT.)
func TestMaxConnectionAgeReconnects(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.MaxConnectionAge = 150 * time.Millisecond
	c := newPlain(t, cfg)
	events := newEventLog()
	c.Watch(events.watch)
	connect(t, c)
	ctx := testContext(t)
	in := newInbox()
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}

	for range 3 { // the first connection and two renewals
		events.waitFor(t, transport.EventConnected)
	}
	if n := b.Stats().Connects; n < 3 {
		t.Errorf("broker saw %d connects, want >= 3", n)
	}
	m := eventually(t, in, func() error { return b.Publish("dev1/request/x", []byte("x"), 1, false) })
	if m.Topic != "request/x" {
		t.Errorf("got %q, want request/x", m.Topic)
	}
	if err := c.Send(ctx, transport.Message{Topic: "events", QoS: 1}); err != nil {
		t.Errorf("Send between renewals: %v", err)
	}
	if n := events.count(transport.EventConnectFailed); n != 0 {
		t.Errorf("%d failed attempts during renewals, want 0: %s", n, events)
	}
}

// Close stops every goroutine the Conn started: the client's, the
// handlers', the watchers' and an armed renewal timer's.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.MaxConnectionAge = time.Hour
	cfg.PublishRate = 1000
	cfg.ByteRate = 1 << 20
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Watch(func(transport.Event) {})
	connect(t, c)
	ctx := testContext(t)
	in := newInbox()
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	_ = b.Publish("dev1/request/x", nil, 1, false)
	in.next(t)
	closeConn(t, c)
	if c.IsConnected() {
		t.Error("IsConnected after Close")
	}
}

// Close during a graceful renewal waits for it.
func TestCloseDuringRenewal(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.MaxConnectionAge = 20 * time.Millisecond
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := newEventLog()
	c.Watch(events.watch)
	connect(t, c)
	events.waitFor(t, transport.EventConnected)
	events.waitFor(t, transport.EventConnected) // one renewal done; more are due every 20 ms
	time.Sleep(15 * time.Millisecond)
	closeConn(t, c)
}

func TestInfo(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.ClientID = "gateway-7-main"
	c := newPlain(t, cfg)
	want := transport.Info{Cloud: transport.CloudMQTT, DeviceID: testDevice, ClientID: "gateway-7-main"}
	if got := c.Info(); got != want {
		t.Errorf("Info = %+v, want %+v", got, want)
	}
}

func TestNewConnRequiresDialect(t *testing.T) {
	_, err := transport.NewConn(transport.Options{MQTT: mqttx.Options{Server: "tcp://127.0.0.1:1"}})
	var ce *transport.ConfigError
	if !errors.As(err, &ce) || ce.Setting != "Dialect" || !errors.Is(err, transport.ErrInvalidConfig) {
		t.Errorf("NewConn without Dialect = %v, want a ConfigError naming Dialect", err)
	}
}

func TestHandleErrors(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)
	if err := c.Handle(ctx, "request/#", nil); err == nil {
		t.Error("Handle with a nil handler succeeded")
	}
	if err := c.Handle(ctx, "request/#/x", newInbox().handler); !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("Handle(request/#/x) = %v, want ErrInvalidTopic", err)
	}
	// A cloud filter carries either raw or canonical messages, not both.
	if err := c.SubscribeRaw(ctx, "dev1/request/#", 1, newInbox().handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(ctx, "request/#", newInbox().handler); err == nil {
		t.Error("Handle on a cloud filter subscribed raw succeeded")
	}
}

// Helpers.

// testDevice is the device every test connects as.
const testDevice = "dev1"

// waitTimeout bounds every wait in these tests: generous for a loaded
// machine, short enough to fail fast.
const waitTimeout = 10 * time.Second

// plainConfig is the plain adapter's configuration for broker b, with a
// fast reconnect loop.
func plainConfig(b *mqttxtest.Broker) mqtt.Config {
	return mqtt.Config{
		Server:     b.URL(),
		DeviceID:   testDevice,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
	}
}

// newPlain builds a Conn with the plain adapter and closes it when the test
// ends. It does not connect.
func newPlain(t *testing.T, cfg mqtt.Config) *transport.Conn {
	t.Helper()
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatalf("mqtt.New: %v", err)
	}
	t.Cleanup(func() { closeConn(t, c) })
	return c
}

// connectPlain builds and connects a Conn with the plain adapter.
func connectPlain(t *testing.T, cfg mqtt.Config) *transport.Conn {
	t.Helper()
	c := newPlain(t, cfg)
	connect(t, c)
	return c
}

func connect(t *testing.T, c transport.Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
}

func closeConn(t *testing.T, c transport.Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// inbox collects the messages a Handler receives.
type inbox chan transport.Message

func newInbox() inbox { return make(inbox, 100) }

func (in inbox) handler(_ context.Context, m transport.Message) { in <- m }

// next returns the next message, failing t after waitTimeout.
func (in inbox) next(t *testing.T) transport.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no message received")
		return transport.Message{}
	}
}

// none fails t if a message arrives within d.
func (in inbox) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-in:
		t.Fatalf("unexpected message on %q: %q", m.Topic, m.Payload)
	case <-time.After(d):
	}
}

// eventLog records the kinds of the events a Watch function sees.
type eventLog struct {
	mu     sync.Mutex
	kinds  []transport.EventKind
	events chan transport.Event
}

func newEventLog() *eventLog { return &eventLog{events: make(chan transport.Event, 100)} }

func (l *eventLog) watch(ev transport.Event) {
	l.mu.Lock()
	l.kinds = append(l.kinds, ev.Kind)
	l.mu.Unlock()
	l.events <- ev
}

func (l *eventLog) count(kind transport.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, k := range l.kinds {
		if k == kind {
			n++
		}
	}
	return n
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := make([]string, len(l.kinds))
	for i, k := range l.kinds {
		s[i] = k.String()
	}
	return strings.Join(s, ",")
}

// waitFor returns the next event of kind, failing t after waitTimeout.
func (l *eventLog) waitFor(t *testing.T, kind transport.EventKind) transport.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev := <-l.events:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event; saw %s", kind, l)
			return transport.Event{}
		}
	}
}

// eventually publishes from the broker every few milliseconds until in
// receives a message: after a reconnect the subscriptions are being
// restored, and a message published before that is lost (clean session).
func eventually(t *testing.T, in inbox, publish func() error) transport.Message {
	t.Helper()
	deadline := time.After(waitTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := publish(); err != nil {
			t.Fatalf("publish: %v", err)
		}
		select {
		case m := <-in:
			return m
		case <-tick.C:
		case <-deadline:
			t.Fatal("no message received")
		}
	}
}

// downDialect is a test Dialect that, like Azure IoT Hub's, carries every
// canonical filter on one cloud filter, "{device}/down/#", and publishes
// under "{device}/up/".
type downDialect struct {
	limits transport.Limits
}

var _ transport.Dialect = downDialect{}

const (
	downPrefix = testDevice + "/down/"
	upPrefix   = testDevice + "/up/"
)

func (downDialect) Info() transport.Info {
	return transport.Info{Cloud: "test", DeviceID: testDevice, ClientID: testDevice}
}

func (downDialect) PublishTopic(msg transport.Message) (string, error) {
	return upPrefix + msg.Topic, nil
}

func (downDialect) SubscribeFilter(string) (string, error) { return downPrefix + "#", nil }

func (downDialect) Incoming(msg transport.Message) (transport.Message, bool) {
	rest, ok := strings.CutPrefix(msg.Topic, downPrefix)
	if !ok || transport.ValidateTopic(rest) != nil {
		return transport.Message{}, false
	}
	msg.Topic = rest
	return msg, true
}

func (downDialect) CheckPublish(topic string, _ []byte, _ byte) error {
	return mqttx.ValidateTopicName(topic)
}

func (downDialect) CheckSubscribe(filter string, _ byte) error {
	return mqttx.ValidateTopicFilter(filter)
}

func (d downDialect) Limits() transport.Limits { return d.limits }

// newDown builds a Conn with downDialect on broker b.
func newDown(t *testing.T, b *mqttxtest.Broker, limits transport.Limits) *transport.Conn {
	t.Helper()
	c, err := transport.NewConn(transport.Options{
		MQTT:    mqttx.Options{Server: b.URL(), ClientID: testDevice, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		Dialect: downDialect{limits: limits},
	})
	if err != nil {
		t.Fatalf("NewConn: %v", err)
	}
	t.Cleanup(func() { closeConn(t, c) })
	return c
}

// subscribeLog records the filters clients subscribe, through the broker's
// authorizer; refuse, when it returns true for a filter, refuses it.
type subscribeLog struct {
	mu      sync.Mutex
	filters []string
	refuse  func(filter string) bool
}

func (s *subscribeLog) authorize(a mqttxtest.Action) mqttxtest.Decision {
	if !a.Subscribe {
		return mqttxtest.Allow
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, a.Topic)
	if s.refuse != nil && s.refuse(a.Topic) {
		return mqttxtest.Refuse
	}
	return mqttxtest.Allow
}

func (s *subscribeLog) setRefuse(f func(string) bool) {
	s.mu.Lock()
	s.refuse = f
	s.mu.Unlock()
}

func (s *subscribeLog) count(filter string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.filters {
		if f == filter {
			n++
		}
	}
	return n
}
