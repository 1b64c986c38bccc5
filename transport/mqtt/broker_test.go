package mqtt_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/mosquittotest"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// The same tests run against the in-process broker and against a real
// mosquitto (skipped when it is not installed, unless CI=true): the plain
// adapter must behave the same on both.

const (
	device      = "gw-7"
	waitTimeout = 10 * time.Second
)

// target is a broker under test.
type target struct {
	url    string
	tlsURL string
	// clientTLS returns a TLS configuration that trusts the broker and
	// presents a client certificate for cn.
	clientTLS func(t *testing.T, cn string) *tls.Config
	// drop ends the device's connection abruptly.
	drop func(t *testing.T)
}

func fakeBroker(t *testing.T) target {
	b := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth())
	return target{
		url:    b.URL(),
		tlsURL: b.TLSURL(),
		clientTLS: func(t *testing.T, cn string) *tls.Config {
			cert, err := b.IssueClientCert(cn)
			if err != nil {
				t.Fatal(err)
			}
			c := b.ClientTLSConfig()
			c.Certificates = []tls.Certificate{cert}
			return c
		},
		drop: func(t *testing.T) {
			if !b.Disconnect(device) {
				t.Fatal("the device was not connected")
			}
		},
	}
}

func mosquittoBroker(t *testing.T) target {
	b := mosquittotest.Start(t, mosquittotest.Config{TLS: true})
	return target{
		url:       b.URL,
		tlsURL:    b.TLSURL,
		clientTLS: func(_ *testing.T, cn string) *tls.Config { return b.ClientTLSConfig(cn) },
		drop:      func(*testing.T) { b.Restart() },
	}
}

func TestFakeBroker(t *testing.T) { runSuite(t, fakeBroker) }

func TestMosquitto(t *testing.T) { runSuite(t, mosquittoBroker) }

func runSuite(t *testing.T, start func(*testing.T) target) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, target)
	}{
		{"SendCanonical", testSendCanonical},
		{"HandleCanonical", testHandleCanonical},
		{"RawAnyTopic", testRawAnyTopic},
		{"QoS2", testQoS2},
		{"RestoredAfterDrop", testRestoredAfterDrop},
		{"TLS", testTLS},
		{"CloseLeavesNoGoroutine", testCloseLeavesNoGoroutine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			tc.test(t, start(t))
		})
	}
}

func config(url, deviceID string) mqtt.Config {
	return mqtt.Config{
		Server:     url,
		DeviceID:   deviceID,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
	}
}

func dial(t *testing.T, cfg mqtt.Config) *transport.Conn {
	t.Helper()
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

type inbox chan transport.Message

func (in inbox) handler(_ context.Context, m transport.Message) { in <- m }

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

// expect checks that the next message has topic and payload.
func (in inbox) expect(t *testing.T, topic, payload string) {
	t.Helper()
	if m := in.next(t); m.Topic != topic || string(m.Payload) != payload {
		t.Errorf("got %s %q, want %s %q", m.Topic, m.Payload, topic, payload)
	}
}

func (in inbox) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-in:
		t.Errorf("unexpected message %s %q", m.Topic, m.Payload)
	case <-time.After(d):
	}
}

// untilReceived repeats publish until in receives a message: while
// subscriptions are being restored, messages may be lost (clean session),
// and publishing fails while the publisher itself reconnects.
func untilReceived(t *testing.T, in inbox, publish func(context.Context) error) transport.Message {
	t.Helper()
	ctx := testContext(t)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		_ = publish(ctx)
		select {
		case m := <-in:
			return m
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("no message received")
		}
	}
}

// The observer is another client that sees the broker's side of things.
func observer(t *testing.T, url string) *transport.Conn {
	return dial(t, config(url, "observer"))
}

func testSendCanonical(t *testing.T, b target) {
	ctx := testContext(t)
	obs := observer(t, b.url)
	seen := make(inbox, 10)
	if err := obs.SubscribeRaw(ctx, device+"/#", 1, seen.handler); err != nil {
		t.Fatal(err)
	}
	c := dial(t, config(b.url, device))
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("hello"), QoS: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	seen.expect(t, "gw-7/events", "hello")
	if err := c.Send(ctx, transport.Message{Topic: "response/sensor/12/reading", Payload: []byte("21.5")}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	seen.expect(t, "gw-7/response/sensor/12/reading", "21.5")
}

func testHandleCanonical(t *testing.T, b target) {
	ctx := testContext(t)
	c := dial(t, config(b.url, device))
	in := make(inbox, 10)
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	obs := observer(t, b.url)
	for _, topic := range []string{"gw-7/config/x", "gw-8/request/x", "gw-7/request/sensor/list"} {
		if err := obs.PublishRaw(ctx, topic, []byte(topic), 1); err != nil {
			t.Fatal(err)
		}
	}
	// In order, on one subscription: the first two were not delivered if
	// the third is the first to arrive.
	m := in.next(t)
	if m.Topic != "request/sensor/list" || string(m.Payload) != "gw-7/request/sensor/list" || m.QoS != 1 {
		t.Errorf("got %s %q QoS %d, want request/sensor/list QoS 1", m.Topic, m.Payload, m.QoS)
	}
	in.none(t, 50*time.Millisecond)
}

func testRawAnyTopic(t *testing.T, b target) {
	ctx := testContext(t)
	c := dial(t, config(b.url, device))
	in := make(inbox, 10)
	if err := c.SubscribeRaw(ctx, "legacy/+/cmd", 1, in.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishRaw(ctx, "legacy/line-3/cmd", []byte("start"), 1); err != nil {
		t.Fatal(err)
	}
	in.expect(t, "legacy/line-3/cmd", "start")
	if err := c.UnsubscribeRaw(ctx, "legacy/+/cmd"); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishRaw(ctx, "legacy/line-3/cmd", []byte("stop"), 1); err != nil {
		t.Fatal(err)
	}
	in.none(t, 100*time.Millisecond)
}

func testQoS2(t *testing.T, b target) {
	ctx := testContext(t)
	cfg := config(b.url, device)
	cfg.AllowQoS2 = true
	c := dial(t, cfg)
	in := make(inbox, 10)
	if err := c.SubscribeRaw(ctx, "gw-7/events", 2, in.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("once"), QoS: 2}); err != nil {
		t.Fatalf("Send QoS 2: %v", err)
	}
	if m := in.next(t); string(m.Payload) != "once" || m.QoS != 2 {
		t.Errorf("got %q QoS %d, want once QoS 2", m.Payload, m.QoS)
	}
	in.none(t, 50*time.Millisecond)
}

func testRestoredAfterDrop(t *testing.T, b target) {
	ctx := testContext(t)
	c := dial(t, config(b.url, device))
	in := make(inbox, 100)
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	obs := observer(t, b.url)
	b.drop(t)
	m := untilReceived(t, in, func(ctx context.Context) error {
		return obs.PublishRaw(ctx, "gw-7/request/ping", []byte("ping"), 1)
	})
	if m.Topic != "request/ping" {
		t.Errorf("got %q, want request/ping", m.Topic)
	}
	// Sending works again too (it may take the reconnect's time).
	deadline := time.Now().Add(waitTimeout)
	for {
		err := c.Send(ctx, transport.Message{Topic: "events", QoS: 1})
		if err == nil {
			break
		}
		if !errors.Is(err, mqttx.ErrNotConnected) || time.Now().After(deadline) {
			t.Fatalf("Send after reconnect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testTLS(t *testing.T, b target) {
	ctx := testContext(t)
	cfg := config(b.tlsURL, device)
	cfg.TLSConfig = b.clientTLS(t, device)
	c := dial(t, cfg)
	in := make(inbox, 10)
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishRaw(ctx, "gw-7/request/x", []byte("over TLS"), 1); err != nil {
		t.Fatal(err)
	}
	in.expect(t, "request/x", "over TLS")

	// A TLS configuration that does not trust the broker's CA fails:
	// verification is never skipped.
	untrusted := b.clientTLS(t, "other")
	untrusted.RootCAs = nil // the system's roots
	cfg = config(b.tlsURL, "other")
	cfg.TLSConfig = untrusted
	bad, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := bad.Connect(short); err == nil {
		t.Error("Connect to a broker the TLS configuration does not trust succeeded")
	}
	if err := bad.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func testCloseLeavesNoGoroutine(t *testing.T, b target) {
	ctx := testContext(t)
	cfg := config(b.url, device)
	cfg.MaxConnectionAge = time.Hour
	cfg.PublishRate = 100
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Watch(func(transport.Event) {})
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	in := make(inbox, 10)
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishRaw(ctx, "gw-7/request/x", nil, 1); err != nil {
		t.Fatal(err)
	}
	in.next(t)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// leakcheck (registered by runSuite) checks after the broker stops.
}

// Authentication: good credentials connect; bad ones fail Connect at once
// with the broker's refusal, and the password appears nowhere.
func TestCredentials(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(*testing.T) string // returns the URL of a broker accepting plant/s3cret only
	}{
		{"fake", func(t *testing.T) string {
			b := mqttxtest.NewBroker(t, mqttxtest.WithAuthenticator(func(ci mqttxtest.ConnectInfo) byte {
				if ci.Username == "plant" && string(ci.Password) == "s3cret" {
					return 0
				}
				return 4 // bad user name or password
			}))
			return b.URL()
		}},
		{"mosquitto", func(t *testing.T) string {
			return mosquittotest.Start(t, mosquittotest.Config{Users: map[string]string{"plant": "s3cret"}}).URL
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.start(t)
			ctx := testContext(t)
			cfg := config(url, device)
			cfg.Username, cfg.Password = "plant", "s3cret"
			dial(t, cfg)

			cfg = config(url, "intruder")
			cfg.Username, cfg.Password = "plant", "wrong-password"
			c, err := mqtt.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			start := time.Now()
			err = c.Connect(ctx)
			if !errors.Is(err, mqttx.ErrConnectionRefused) {
				t.Fatalf("Connect with a wrong password = %v, want ErrConnectionRefused", err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("the refusal took %v: a permanent refusal should not be retried", time.Since(start))
			}
			if strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("error %q reveals the password", err)
			}

			// Credentials called per attempt.
			cfg = config(url, "token-device")
			var calls atomic.Int32
			cfg.Credentials = func(context.Context) (mqtt.Credentials, error) {
				calls.Add(1)
				return mqtt.Credentials{Username: "plant", Password: "s3cret"}, nil
			}
			dial(t, cfg)
			if calls.Load() == 0 {
				t.Error("Credentials was not called")
			}
		})
	}
}

// MaxConnectionAge renews the connection gracefully: the broker sees a
// DISCONNECT each time, so the device's will is never published, and
// subscriptions survive. (Against mosquitto only: the in-process broker
// may handle the new CONNECT before the old connection's DISCONNECT and
// publish the will on the takeover.)
func TestMosquittoMaxConnectionAgeGraceful(t *testing.T) {
	leakcheck.Check(t)
	b := mosquittotest.Start(t, mosquittotest.Config{})
	ctx := testContext(t)
	obs := observer(t, b.URL)
	wills := make(inbox, 100)
	if err := obs.SubscribeRaw(ctx, "gw-7/status", 1, wills.handler); err != nil {
		t.Fatal(err)
	}

	d, err := mqtt.NewDialect(mqtt.Config{DeviceID: device})
	if err != nil {
		t.Fatal(err)
	}
	c, err := transport.NewConn(transport.Options{
		MQTT: mqttx.Options{
			Server: b.URL, ClientID: device,
			Will: &mqttx.Message{Topic: "gw-7/status", Payload: []byte("offline"), QoS: 1},
		},
		Dialect:          d,
		MaxConnectionAge: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{}, 100)
	c.Watch(func(ev transport.Event) {
		if ev.Kind == transport.EventConnected {
			connected <- struct{}{}
		}
	})
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	in := make(inbox, 100)
	if err := c.Handle(ctx, "request/#", in.handler); err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // the first connection and five renewals
		select {
		case <-connected:
		case <-ctx.Done():
			t.Fatalf("%d connections, want 6", i)
		}
	}
	m := untilReceived(t, in, func(ctx context.Context) error {
		return obs.PublishRaw(ctx, "gw-7/request/x", []byte("x"), 1)
	})
	if m.Topic != "request/x" {
		t.Errorf("got %q, want request/x", m.Topic)
	}
	wills.none(t, 100*time.Millisecond)
	if strings.Contains(b.Log(), "already connected, closing old connection") {
		t.Error("a renewal took the client id over instead of disconnecting first")
	}
}
