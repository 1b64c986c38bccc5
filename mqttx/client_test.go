package mqttx_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/mosquittotest"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts mqttx.Options
	}{
		{"no server", mqttx.Options{}},
		{"bad scheme", mqttx.Options{Server: "http://127.0.0.1:1883"}},
		{"persistent without client id", mqttx.Options{Server: "tcp://127.0.0.1:1", PersistentSession: true}},
		{"invalid will topic", mqttx.Options{Server: "tcp://127.0.0.1:1", Will: &mqttx.Message{Topic: "a/#"}}},
		{"will QoS 3", mqttx.Options{Server: "tcp://127.0.0.1:1", Will: &mqttx.Message{Topic: "a", QoS: 3}}},
		{"negative backoff", mqttx.Options{Server: "tcp://127.0.0.1:1", MinBackoff: -1}},
	}
	for _, tt := range tests {
		if _, err := mqttx.New(tt.opts); err == nil || !strings.HasPrefix(err.Error(), "mqttx: ") {
			t.Errorf("%s: New error = %v, want an mqttx error", tt.name, err)
		}
	}
	if _, err := mqttx.New(mqttx.Options{Dial: func(context.Context) (net.Conn, error) { return nil, errors.New("x") }}); err != nil {
		t.Errorf("Dial without Server: %v", err)
	}
}

func TestCallsWithoutConnection(t *testing.T) {
	c := newClient(t, testOptions(t, "tcp://127.0.0.1:1"))
	ctx := timeoutCtx(t, 5*time.Second)
	if err := c.Publish(ctx, "a/b", nil, 1, false); !errors.Is(err, mqttx.ErrNotConnected) {
		t.Errorf("Publish while not connected = %v, want ErrNotConnected", err)
	}
	if err := c.Publish(ctx, "a/+", nil, 0, false); !errors.Is(err, mqttx.ErrInvalidTopic) {
		t.Errorf("Publish to a filter = %v, want ErrInvalidTopic", err)
	}
	if err := c.Publish(ctx, "a", nil, 3, false); !errors.Is(err, mqttx.ErrInvalidQoS) {
		t.Errorf("Publish QoS 3 = %v, want ErrInvalidQoS", err)
	}
	if err := c.Subscribe(ctx, "a/#/b", 0, func(context.Context, mqttx.Message) {}); !errors.Is(err, mqttx.ErrInvalidFilter) {
		t.Errorf("Subscribe invalid filter = %v, want ErrInvalidFilter", err)
	}
	if err := c.Subscribe(ctx, "a/#", 0, func(context.Context, mqttx.Message) {}); err != nil {
		t.Errorf("Subscribe while not connected (registers only) = %v", err)
	}
	if err := c.Unsubscribe(ctx, "a/#"); err != nil {
		t.Errorf("Unsubscribe while not connected = %v", err)
	}
	if c.IsConnected() {
		t.Error("IsConnected before Connect")
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect without Connect: %v", err)
	}
	for name, err := range map[string]error{
		"Connect":    c.Connect(ctx),
		"Publish":    c.Publish(ctx, "a", nil, 0, false),
		"Subscribe":  c.Subscribe(ctx, "a", 0, func(context.Context, mqttx.Message) {}),
		"Disconnect": c.Disconnect(ctx),
	} {
		if !errors.Is(err, mqttx.ErrClosed) {
			t.Errorf("%s after Disconnect = %v, want ErrClosed", name, err)
		}
	}
}

func TestPublishSubscribeRoundTrip(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	events := newEventLog()
	opts := testOptions(t, b.URL)
	opts.OnEvent = events.record
	c := newClient(t, opts)
	q0, q1, late := newInbox(), newInbox(), newInbox()
	ctx := timeoutCtx(t, 20*time.Second)
	// Registered before Connect: sent on connect.
	if err := c.Subscribe(ctx, "rt/q0/+", 0, q0.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, "rt/q1/#", 1, q1.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	if !c.IsConnected() {
		t.Fatal("IsConnected false after Connect")
	}
	// Subscribed while connected.
	if err := c.Subscribe(ctx, "rt/late", 1, late.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "rt/q0/x", []byte("zero"), 0, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "rt/q1/a/b", []byte("one"), 1, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "rt/late", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	if m := q0.next(t); m.Topic != "rt/q0/x" || string(m.Payload) != "zero" || m.QoS != 0 || m.Retained {
		t.Errorf("QoS 0 message = %+v", m)
	}
	if m := q1.next(t); m.Topic != "rt/q1/a/b" || string(m.Payload) != "one" || m.QoS != 1 {
		t.Errorf("QoS 1 message = %+v", m)
	}
	if m := late.next(t); m.Topic != "rt/late" || len(m.Payload) != 0 {
		t.Errorf("late message = %+v", m)
	}
	// Retained flag as received.
	if err := c.Publish(ctx, "rt/q1/retained", []byte("r"), 1, true); err != nil {
		t.Fatal(err)
	}
	q1.next(t)
	if err := c.Unsubscribe(ctx, "rt/q1/#"); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, "rt/q1/#", 1, q1.handler); err != nil {
		t.Fatal(err)
	}
	if m := q1.next(t); m.Topic != "rt/q1/retained" || !m.Retained {
		t.Errorf("retained message = %+v", m)
	}
	if err := c.Unsubscribe(ctx, "rt/late"); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "rt/late", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	late.none(t, 200*time.Millisecond)

	if got := events.snapshot(); len(got) < 2 || got[0].Kind != mqttx.EventConnecting || got[0].Attempt != 1 || got[1].Kind != mqttx.EventConnected {
		t.Errorf("events = %v, want connecting(1), connected", events.kinds())
	}
}

func TestConnectHonoursContext(t *testing.T) {
	t.Run("no CONNACK", func(t *testing.T) {
		c := newClient(t, testOptions(t, silentServer(t)))
		start := time.Now()
		err := c.Connect(timeoutCtx(t, 300*time.Millisecond))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Connect = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Connect returned after %v, ConnectTimeout is 5s: ctx not honoured", d)
		}
	})
	t.Run("refused TCP then reachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens: every dial fails
		events := newEventLog()
		opts := testOptions(t, "tcp://"+addr)
		opts.OnEvent = events.record
		c := newClient(t, opts)
		err := c.Connect(timeoutCtx(t, 500*time.Millisecond))
		var opErr *net.OpError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &opErr) {
			t.Fatalf("Connect = %v, want DeadlineExceeded and the last dial error", err)
		}
		if n := events.count(mqttx.EventConnectFailed); n < 2 {
			t.Fatalf("%d failed attempts in 500ms with 10-100ms backoff, want retries", n)
		}
		if c.IsConnected() {
			t.Fatal("IsConnected after failed Connect")
		}
	})
	t.Run("Connect again after a failed Connect", func(t *testing.T) {
		b := mosquittotest.Start(t, mosquittotest.Config{})
		p := newProxy(t, b.URL)
		p.Freeze(true) // CONNACK withheld
		c := newClient(t, testOptions(t, p.URL()))
		if err := c.Connect(timeoutCtx(t, 300*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Connect = %v, want DeadlineExceeded", err)
		}
		p.Freeze(false)
		connect(t, c)
	})
}

func TestPublishHonoursContext(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	p := newProxy(t, b.URL)
	c := newClient(t, testOptions(t, p.URL()))
	connect(t, c)
	p.Freeze(true) // PUBACK withheld
	start := time.Now()
	err := c.Publish(timeoutCtx(t, 200*time.Millisecond), "ctx/x", []byte("x"), 1, false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Publish returned after %v", d)
	}
	p.Freeze(false)
	if err := c.Publish(timeoutCtx(t, 5*time.Second), "ctx/x", nil, 1, false); err != nil {
		t.Fatalf("Publish after thaw: %v", err)
	}
}

func TestReconnectRestoresRegistry(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	p := newProxy(t, b.URL)
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.OnEvent = events.record
	c := newClient(t, opts)
	in := newInbox()
	ctx := timeoutCtx(t, 30*time.Second)
	for _, f := range []string{"rc/a", "rc/b/+", "rc/c/#"} {
		if err := c.Subscribe(ctx, f, 1, in.handler); err != nil {
			t.Fatal(err)
		}
	}
	connect(t, c)

	publisher := newClient(t, testOptions(t, b.URL))
	connect(t, publisher)

	check := func(round string) {
		t.Helper()
		for _, topic := range []string{"rc/a", "rc/b/x", "rc/c/y/z"} {
			if err := publisher.Publish(ctx, topic, []byte(round), 1, false); err != nil {
				t.Fatal(err)
			}
			if m := in.next(t); m.Topic != topic || string(m.Payload) != round {
				t.Fatalf("%s: got %q %q, want %q", round, m.Topic, m.Payload, topic)
			}
		}
	}
	check("before")

	p.Cut()
	lost := events.waitCount(t, mqttx.EventConnectionLost, 1)
	if !errors.Is(lost.Err, mqttx.ErrConnectionLost) {
		t.Errorf("EventConnectionLost.Err = %v", lost.Err)
	}
	events.waitCount(t, mqttx.EventConnected, 2)
	check("after cut")

	b.Restart() // the broker forgets everything (clean session, no persistence)
	events.waitCount(t, mqttx.EventConnected, 3)
	publisher2 := newClient(t, testOptions(t, b.URL))
	connect(t, publisher2)
	publisher = publisher2
	check("after restart")
	if !c.IsConnected() {
		t.Error("IsConnected false after reconnect")
	}
}

func TestResubscribeBatches(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	p := newProxy(t, b.URL)
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.MaxFiltersPerSubscribe = 3
	opts.OnEvent = events.record
	c := newClient(t, opts)
	ctx := timeoutCtx(t, 20*time.Second)
	var want []string
	for i := 0; i < 8; i++ {
		f := fmt.Sprintf("batch/%d/#", i)
		want = append(want, f)
		if err := c.Subscribe(ctx, f, 1, func(context.Context, mqttx.Message) {}); err != nil {
			t.Fatal(err)
		}
	}
	connect(t, c)
	checkBatches := func(batches [][]string) {
		t.Helper()
		if len(batches) != 3 {
			t.Fatalf("%d SUBSCRIBE packets (%s), want 3 (3+3+2 filters)", len(batches), joinFilters(batches))
		}
		seen := map[string]bool{}
		for _, batch := range batches {
			if len(batch) > 3 {
				t.Fatalf("SUBSCRIBE with %d filters > MaxFiltersPerSubscribe 3", len(batch))
			}
			for _, f := range batch {
				seen[f] = true
			}
		}
		for _, f := range want {
			if !seen[f] {
				t.Fatalf("filter %q not re-sent; batches %s", f, joinFilters(batches))
			}
		}
	}
	checkBatches(p.waitSubscribes(3))
	p.Cut()
	events.waitCount(t, mqttx.EventConnected, 2)
	checkBatches(p.waitSubscribes(6)[3:])
}

// TestRefusedFilter runs against the fake server and mqttxtest, which refuse filters under denied/.
// (mosquitto 2.0.11 grants ACL-denied subscriptions in its SUBACK and filters at delivery instead.)
func TestRefusedFilter(t *testing.T) {
	t.Run("fake server", func(t *testing.T) {
		testRefusedFilter(t, newFakeServer(t, func(int) byte { return 0 }).URL())
	})
	t.Run("mqttxtest", func(t *testing.T) {
		b := mqttxtest.NewBroker(t, mqttxtest.WithAuthorizer(func(a mqttxtest.Action) mqttxtest.Decision {
			if a.Subscribe && strings.HasPrefix(a.Topic, "denied/") {
				return mqttxtest.Refuse
			}
			return mqttxtest.Allow
		}))
		testRefusedFilter(t, b.URL())
	})
}

func testRefusedFilter(t *testing.T, server string) {
	events := newEventLog()
	opts := testOptions(t, server)
	opts.OnEvent = events.record
	c := newClient(t, opts)
	ctx := timeoutCtx(t, 20*time.Second)
	nop := func(context.Context, mqttx.Message) {}
	// Registered before Connect: refused on connect, reported and dropped; Connect still succeeds.
	if err := c.Subscribe(ctx, "denied/early", 1, nop); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, "allowed/early", 1, nop); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	ev := events.waitCount(t, mqttx.EventSubscribeFailed, 1)
	var se *mqttx.SubscribeError
	if ev.Filter != "denied/early" || !errors.As(ev.Err, &se) || se.Code != 0x80 {
		t.Fatalf("EventSubscribeFailed = %+v", ev)
	}
	// While connected: a typed error.
	err := c.Subscribe(ctx, "denied/late", 1, nop)
	if !errors.As(err, &se) || se.Filter != "denied/late" || se.Code != 0x80 || !errors.Is(err, mqttx.ErrSubscriptionRefused) {
		t.Fatalf("Subscribe denied filter = %v, want *SubscribeError 0x80", err)
	}
	if err := c.Subscribe(ctx, "allowed/late", 1, nop); err != nil {
		t.Fatalf("Subscribe allowed filter: %v", err)
	}
	if n := events.count(mqttx.EventSubscribeFailed); n != 1 {
		t.Errorf("%d EventSubscribeFailed, want 1", n)
	}
}

func TestBadCredentialsFailFast(t *testing.T) {
	t.Run("mosquitto password file", func(t *testing.T) {
		b := mosquittotest.Start(t, mosquittotest.Config{Users: map[string]string{"dev": "right"}})
		events := newEventLog()
		opts := testOptions(t, b.URL)
		opts.Username, opts.Password = "dev", "wrong-secret"
		opts.OnEvent = events.record
		var logs bytes.Buffer
		opts.Logger = newTestLogger(&logs)
		c := newClient(t, opts)
		start := time.Now()
		err := c.Connect(timeoutCtx(t, 10*time.Second))
		var ce *mqttx.ConnectError
		if !errors.As(err, &ce) || !ce.Permanent() || !errors.Is(err, mqttx.ErrConnectionRefused) {
			t.Fatalf("Connect = %v, want a permanent *ConnectError", err)
		}
		if !errors.Is(err, mqttx.ErrNotAuthorized) && !errors.Is(err, mqttx.ErrBadUsernameOrPassword) {
			t.Errorf("Connect = %v, want ErrNotAuthorized or ErrBadUsernameOrPassword", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Connect took %v", d)
		}
		if n := events.count(mqttx.EventConnecting); n != 1 {
			t.Errorf("%d attempts, want 1 (no retry on bad credentials)", n)
		}
		if strings.Contains(logs.String(), "wrong-secret") || strings.Contains(err.Error(), "wrong-secret") {
			t.Error("password leaked into logs or error")
		}
		// Right credentials on a new client work.
		opts2 := testOptions(t, b.URL)
		opts2.Username, opts2.Password = "dev", "right"
		connect(t, newClient(t, opts2))
	})
	for _, tt := range []struct {
		code     byte
		sentinel error
	}{{1, mqttx.ErrUnacceptableProtocolVersion}, {2, mqttx.ErrIdentifierRejected}, {4, mqttx.ErrBadUsernameOrPassword}, {5, mqttx.ErrNotAuthorized}} {
		t.Run(fmt.Sprintf("CONNACK %d", tt.code), func(t *testing.T) {
			f := newFakeServer(t, func(int) byte { return tt.code })
			c := newClient(t, testOptions(t, f.URL()))
			err := c.Connect(timeoutCtx(t, 10*time.Second))
			if !errors.Is(err, tt.sentinel) || !errors.Is(err, mqttx.ErrConnectionRefused) {
				t.Fatalf("Connect = %v, want %v", err, tt.sentinel)
			}
			if users, _ := f.credentials(); len(users) != 1 {
				t.Fatalf("%d attempts, want 1", len(users))
			}
		})
	}
}

func TestCredentialsCalledOnEveryAttempt(t *testing.T) {
	// Attempts 1 and 2 are refused with "server unavailable" (transient), 3 accepted.
	f := newFakeServer(t, func(attempt int) byte {
		if attempt < 3 {
			return 3
		}
		return 0
	})
	events := newEventLog()
	opts := testOptions(t, f.URL())
	opts.Username, opts.Password = "static", "static"
	opts.OnEvent = events.record
	var calls atomic.Int32
	opts.Credentials = func(ctx context.Context) (mqttx.Credentials, error) {
		n := calls.Add(1)
		return mqttx.Credentials{Username: "dev", Password: fmt.Sprintf("token-%d", n)}, nil
	}
	c := newClient(t, opts)
	connect(t, c)
	users, passwords := f.credentials()
	if got := strings.Join(passwords, ","); got != "token-1,token-2,token-3" {
		t.Errorf("passwords per attempt = %s, want token-1,token-2,token-3", got)
	}
	if got := strings.Join(users, ","); got != "dev,dev,dev" {
		t.Errorf("usernames = %s", got)
	}
	failed := events.waitCount(t, mqttx.EventConnectFailed, 2)
	if !errors.Is(failed.Err, mqttx.ErrServerUnavailable) || failed.Attempt != 2 {
		t.Errorf("second EventConnectFailed = %+v", failed)
	}
	f.mu.Lock()
	level := f.protocol[0]
	f.mu.Unlock()
	if level != 4 {
		t.Errorf("protocol level %d, want 4 (MQTT 3.1.1)", level)
	}
}

func TestCredentialsErrorIsRetried(t *testing.T) {
	f := newFakeServer(t, func(int) byte { return 0 })
	opts := testOptions(t, f.URL())
	var calls atomic.Int32
	opts.Credentials = func(ctx context.Context) (mqttx.Credentials, error) {
		if calls.Add(1) == 1 {
			return mqttx.Credentials{}, errors.New("clock not set")
		}
		return mqttx.Credentials{Username: "u", Password: "p"}, nil
	}
	connect(t, newClient(t, opts))
	if calls.Load() != 2 {
		t.Errorf("Credentials called %d times, want 2", calls.Load())
	}
}

func TestHandlerOrdering(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	c := newClient(t, testOptions(t, b.URL))
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	const n = 200
	ctx := timeoutCtx(t, 30*time.Second)
	if err := c.Subscribe(ctx, "order/#", 1, func(_ context.Context, m mqttx.Message) {
		if len(m.Payload)%7 == 0 {
			time.Sleep(time.Millisecond) // uneven handler latency must not reorder
		}
		mu.Lock()
		got = append(got, string(m.Payload))
		if len(got) == n {
			close(done)
		}
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	for i := 0; i < n; i++ {
		if err := c.Publish(ctx, "order/x", []byte(fmt.Sprint(i)), 1, false); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("not all messages handled")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		if s != fmt.Sprint(i) {
			t.Fatalf("message %d handled as %q: out of order", i, s)
		}
	}
}

func TestSlowConsumerDropsAndReports(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	events := newEventLog()
	opts := testOptions(t, b.URL)
	opts.QueueSize = 2
	opts.OnEvent = events.record
	c := newClient(t, opts)
	ctx := timeoutCtx(t, 30*time.Second)
	release := make(chan struct{})
	var handled atomic.Int32
	if err := c.Subscribe(ctx, "slow/#", 0, func(ctx context.Context, m mqttx.Message) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		handled.Add(1)
	}); err != nil {
		t.Fatal(err)
	}
	fast := newInbox()
	if err := c.Subscribe(ctx, "fast", 1, fast.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	const sent = 10
	for i := 0; i < sent; i++ {
		if err := c.Publish(ctx, "slow/x", []byte{byte(i)}, 0, false); err != nil {
			t.Fatal(err)
		}
	}
	ev := events.waitCount(t, mqttx.EventSlowConsumer, 1)
	if ev.Filter != "slow/#" || !errors.Is(ev.Err, mqttx.ErrSlowConsumer) {
		t.Fatalf("EventSlowConsumer = %+v", ev)
	}
	// The connection is not stalled by the blocked handler: another subscription still works.
	if err := c.Publish(ctx, "fast", []byte("f"), 1, false); err != nil {
		t.Fatal(err)
	}
	fast.next(t)
	close(release)
	// 1 in the handler + 2 queued at most; the rest dropped.
	deadline := time.Now().Add(5 * time.Second)
	for handled.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	h, dropped := int(handled.Load()), events.count(mqttx.EventSlowConsumer)
	if h+dropped != sent || h > 3 {
		t.Fatalf("handled %d + dropped %d, want %d in total with at most 3 handled", h, dropped, sent)
	}
}

func TestPublishFromHandler(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	c := newClient(t, testOptions(t, b.URL))
	ctx := timeoutCtx(t, 30*time.Second)
	replies := newInbox()
	errs := make(chan error, 100)
	if err := c.Subscribe(ctx, "req/+", 1, func(hctx context.Context, m mqttx.Message) {
		pctx, cancel := context.WithTimeout(hctx, 5*time.Second)
		defer cancel()
		// QoS 1: waits for the PUBACK, which paho's router must still be free to process.
		errs <- c.Publish(pctx, "resp/"+strings.TrimPrefix(m.Topic, "req/"), m.Payload, 1, false)
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(ctx, "resp/+", 1, replies.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	const n = 20
	for i := 0; i < n; i++ {
		if err := c.Publish(ctx, fmt.Sprintf("req/%d", i), []byte{byte(i)}, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatalf("Publish from handler: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("handler Publish deadlocked")
		}
		replies.next(t)
	}
}

func TestTLSClientCertificate(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{TLS: true})
	for _, scheme := range []string{"tls", "ssl", "mqtts"} {
		opts := testOptions(t, scheme+strings.TrimPrefix(b.TLSURL, "tls"))
		opts.TLSConfig = b.ClientTLSConfig("device-1")
		c := newClient(t, opts)
		connect(t, c)
		in := newInbox()
		ctx := timeoutCtx(t, 10*time.Second)
		if err := c.Subscribe(ctx, "tls/x", 1, in.handler); err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, "tls/x", []byte(scheme), 1, false); err != nil {
			t.Fatal(err)
		}
		if m := in.next(t); string(m.Payload) != scheme {
			t.Fatalf("got %q", m.Payload)
		}
	}
	t.Run("without client certificate", func(t *testing.T) {
		opts := testOptions(t, b.TLSURL)
		cfg := b.ClientTLSConfig("x")
		cfg.Certificates = nil
		opts.TLSConfig = cfg
		c := newClient(t, opts)
		if err := c.Connect(timeoutCtx(t, 500*time.Millisecond)); err == nil {
			t.Fatal("connected without a client certificate")
		}
	})
	t.Run("untrusted server", func(t *testing.T) {
		opts := testOptions(t, b.TLSURL)
		cfg := b.ClientTLSConfig("x")
		cfg.RootCAs = nil
		opts.TLSConfig = cfg
		err := newClient(t, opts).Connect(timeoutCtx(t, 500*time.Millisecond))
		var uerr *tls.CertificateVerificationError
		if !errors.As(err, &uerr) {
			t.Fatalf("Connect = %v, want a certificate verification error", err)
		}
	})
}

func TestWebSocket(t *testing.T) {
	t.Run("mosquitto", func(t *testing.T) {
		b := mosquittotest.Start(t, mosquittotest.Config{WebSocket: true})
		c := newClient(t, testOptions(t, b.WSURL))
		connect(t, c)
		roundTrip(t, c, "ws/x")
	})
	t.Run("bridge: headers, subprotocol, split frames", func(t *testing.T) {
		b := mosquittotest.Start(t, mosquittotest.Config{})
		bridge := newWSBridge(t, b.URL)
		opts := testOptions(t, bridge.URL())
		opts.WebSocketHeader = http.Header{"X-Test": {"yes"}}
		c := newClient(t, opts)
		connect(t, c)
		h := <-bridge.headers
		if h.Get("X-Test") != "yes" || h.Get("Sec-Websocket-Protocol") != "mqtt" {
			t.Errorf("headers = %v", h)
		}
		roundTrip(t, c, "ws/split")
	})
}

func roundTrip(t *testing.T, c *mqttx.Client, topic string) {
	t.Helper()
	ctx := timeoutCtx(t, 10*time.Second)
	in := newInbox()
	if err := c.Subscribe(ctx, topic, 1, in.handler); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("p"), 3000)
	if err := c.Publish(ctx, topic, payload, 1, false); err != nil {
		t.Fatal(err)
	}
	if m := in.next(t); !bytes.Equal(m.Payload, payload) {
		t.Fatalf("payload of %d bytes, want %d", len(m.Payload), len(payload))
	}
}

func TestDialHook(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	var dials atomic.Int32
	opts := testOptions(t, "")
	opts.Dial = func(ctx context.Context) (net.Conn, error) {
		dials.Add(1)
		return mqttx.DialServer(ctx, b.URL, nil, nil)
	}
	c := newClient(t, opts)
	connect(t, c)
	roundTrip(t, c, "dial/x")
	if dials.Load() != 1 {
		t.Errorf("Dial called %d times, want 1", dials.Load())
	}
}

func TestPersistentSessionRedelivery(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	p := newProxy(t, b.URL)
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.PersistentSession = true
	opts.MinBackoff, opts.MaxBackoff = 300*time.Millisecond, 300*time.Millisecond
	opts.OnEvent = events.record
	c := newClient(t, opts)
	in := newInbox()
	ctx := timeoutCtx(t, 20*time.Second)
	if err := c.Subscribe(ctx, "ps/x", 1, in.handler); err != nil {
		t.Fatal(err)
	}
	connect(t, c)
	publisher := newClient(t, testOptions(t, b.URL))
	connect(t, publisher)
	p.Cut()
	events.waitCount(t, mqttx.EventConnectionLost, 1)
	if err := publisher.Publish(ctx, "ps/x", []byte("while away"), 1, false); err != nil {
		t.Fatal(err)
	}
	ev := events.waitCount(t, mqttx.EventConnected, 2)
	if !ev.SessionPresent {
		t.Error("SessionPresent false on reconnect of a persistent session")
	}
	if m := in.next(t); string(m.Payload) != "while away" {
		t.Fatalf("got %q", m.Payload)
	}
	for deadline := time.Now().Add(2 * time.Second); len(p.connects()) < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if cs := p.connects(); len(cs) != 2 || cs[1].CleanSession {
		t.Fatalf("CONNECTs: %d, want 2 with CleanSession=false", len(cs))
	}
}

func TestDisconnectLeavesNoGoroutine(t *testing.T) {
	leakcheck.Check(t)
	b := mosquittotest.Start(t, mosquittotest.Config{})
	for _, tc := range []string{"connected", "reconnecting", "failed connect"} {
		t.Run(tc, func(t *testing.T) {
			opts := testOptions(t, b.URL)
			if tc != "connected" {
				ln, _ := net.Listen("tcp", "127.0.0.1:0")
				opts.Server = "tcp://" + ln.Addr().String()
				ln.Close()
			}
			c, err := mqttx.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			handlerCtx := make(chan context.Context, 1)
			ctx := timeoutCtx(t, 10*time.Second)
			if err := c.Subscribe(ctx, "leak/#", 1, func(hctx context.Context, _ mqttx.Message) {
				handlerCtx <- hctx
				<-hctx.Done() // blocks until Disconnect
			}); err != nil {
				t.Fatal(err)
			}
			switch tc {
			case "connected":
				connect(t, c)
				if err := c.Publish(ctx, "leak/x", nil, 1, false); err != nil {
					t.Fatal(err)
				}
				<-handlerCtx
			case "reconnecting":
				go func() { _ = c.Connect(ctx) }() // keeps retrying until Disconnect
				time.Sleep(100 * time.Millisecond)
			case "failed connect":
				_ = c.Connect(timeoutCtx(t, 100*time.Millisecond))
			}
			if err := c.Disconnect(ctx); err != nil {
				t.Fatalf("Disconnect: %v", err)
			}
			if c.IsConnected() {
				t.Error("IsConnected after Disconnect")
			}
		})
	}
}

func TestEventsAndBackoffAfterConnectionLoss(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Config{})
	p := newProxy(t, b.URL)
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.MinBackoff, opts.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
	opts.OnEvent = events.record
	c := newClient(t, opts)
	connect(t, c)
	p.ln.Close() // no new connections: every reconnect attempt fails
	p.Cut()
	lost := events.waitCount(t, mqttx.EventConnectionLost, 1)
	if lost.Delay < 0 || lost.Delay > 50*time.Millisecond {
		t.Errorf("EventConnectionLost.Delay = %v", lost.Delay)
	}
	events.waitCount(t, mqttx.EventConnectFailed, 3)
	if c.IsConnected() {
		t.Error("IsConnected while down")
	}
	if err := c.Publish(timeoutCtx(t, time.Second), "x", nil, 1, false); !errors.Is(err, mqttx.ErrNotConnected) {
		t.Errorf("Publish while reconnecting = %v, want ErrNotConnected", err)
	}
	// Attempts number consecutively and carry the backoff delay.
	var attempts []int
	for _, e := range events.snapshot() {
		if e.Kind == mqttx.EventConnectFailed {
			attempts = append(attempts, e.Attempt)
			if e.Delay < 0 || e.Delay > 50*time.Millisecond {
				t.Errorf("EventConnectFailed.Delay = %v outside [0, MaxBackoff]", e.Delay)
			}
		}
	}
	for i := 1; i < len(attempts); i++ {
		if attempts[i] != attempts[i-1]+1 {
			t.Fatalf("attempt numbers %v not consecutive", attempts)
		}
	}
}
