package awsiot_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// connect builds a transport from cfg, connects it and closes it when the
// test ends.
func connect(t *testing.T, cfg awsiot.Config) *transport.Conn {
	t.Helper()
	conn, err := awsiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// events collects a transport's connection events.
type events struct {
	ch chan transport.Event
}

func watch(conn *transport.Conn) *events {
	e := &events{ch: make(chan transport.Event, 256)}
	conn.Watch(func(ev transport.Event) {
		select {
		case e.ch <- ev:
		default:
		}
	})
	return e
}

func (e *events) wait(t *testing.T, kind transport.EventKind) transport.Event {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		select {
		case ev := <-e.ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event", kind)
		}
	}
}

// reconnect drops the client's connection at the emulator and waits until
// the transport is connected again.
func reconnect(t *testing.T, e *awsiottest.Emulator, ev *events, clientID string) {
	t.Helper()
	if !e.Broker().Disconnect(clientID) {
		t.Fatalf("%s is not connected", clientID)
	}
	ev.wait(t, transport.EventConnectionLost)
	ev.wait(t, transport.EventConnected)
}

func TestCanonicalTopicsRoundTrip(t *testing.T) {
	e := awsiottest.New(t)
	conn := connect(t, e.DeviceConfig("thing1"))
	ctx := testContext(t)

	if err := conn.Send(ctx, transport.Message{Topic: "response/sensor/12/reading", Payload: []byte(`{"v":7}`), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	got := e.Received("thing1")
	if len(got) != 1 || got[0].Topic != "thing1/response/sensor/12/reading" || string(got[0].Payload) != `{"v":7}` {
		t.Fatalf("the cloud saw %+v", got)
	}

	received := make(chan transport.Message, 4)
	if err := conn.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) { received <- m }); err != nil {
		t.Fatal(err)
	}
	// "#" does not match the parent level on AWS: the first is not delivered.
	if err := e.Publish("thing1/request", []byte("parent"), 1); err != nil {
		t.Fatal(err)
	}
	if err := e.Publish("thing1/request/sensor/list", []byte("list"), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-received:
		if m.Topic != "request/sensor/list" || string(m.Payload) != "list" || m.QoS != 1 {
			t.Fatalf("handler got %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no message")
	}
	if subs := e.Connections()[0].Subscribes; len(subs) != 1 || subs[0][0] != "thing1/request/#" {
		t.Fatalf("subscribed %q", subs)
	}
}

func TestLocalChecksKeepTheConnection(t *testing.T) {
	e := awsiottest.New(t)
	conn := connect(t, e.DeviceConfig("thing1"))
	ctx := testContext(t)
	send := func(topic string, payload []byte, qos byte) error {
		return conn.Send(ctx, transport.Message{Topic: topic, Payload: payload, QoS: qos})
	}
	nop := func(context.Context, transport.Message) {}

	tests := []struct {
		name        string
		err         error
		aws, shared error
	}{
		{"payload over 128 KiB", send("events", make([]byte, awsiot.MaxPayloadSize+1), 1), awsiot.ErrPayloadTooLarge, transport.ErrPayloadTooLarge},
		{"QoS 2", send("events", nil, 2), awsiot.ErrQoSNotSupported, transport.ErrQoSNotSupported},
		{"topic over 256 bytes", send(strings.Repeat("t", 250), nil, 0), awsiot.ErrTopicTooLong, transport.ErrTopicTooLong},
		{"eight slashes", send("a/b/c/d/e/f/g/h", nil, 0), awsiot.ErrTooManySlashes, transport.ErrTopicTooLong},
		{"raw publish over the limit", conn.PublishRaw(ctx, "$aws/things/thing1/shadow/update", make([]byte, awsiot.MaxPayloadSize+1), 1), awsiot.ErrPayloadTooLarge, transport.ErrPayloadTooLarge},
		{"raw filter too deep", conn.SubscribeRaw(ctx, "a/b/c/d/e/f/g/h/#", 1, nop), awsiot.ErrTooManySlashes, transport.ErrTopicTooLong},
		{"raw QoS 2 subscription", conn.SubscribeRaw(ctx, "$aws/things/thing1/shadow/get/accepted", 2, nop), awsiot.ErrQoSNotSupported, transport.ErrQoSNotSupported},
		{"handle filter too deep", conn.Handle(ctx, "a/b/c/d/e/f/g/#", nop), awsiot.ErrTooManySlashes, transport.ErrTopicTooLong},
		{"properties", conn.Send(ctx, transport.Message{Topic: "events", Properties: transport.Properties{ContentType: "application/json"}}), transport.ErrPropertiesNotSupported, transport.ErrPropertiesNotSupported},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.aws) || !errors.Is(tt.err, tt.shared) {
			t.Errorf("%s: err = %v, want %v and %v", tt.name, tt.err, tt.aws, tt.shared)
		}
	}

	// 50 subscriptions are fine, the 51st is refused locally.
	for i := 0; i < awsiot.MaxSubscriptions; i++ {
		if err := conn.Handle(ctx, fmt.Sprintf("request/s%d/#", i), nop); err != nil {
			t.Fatalf("subscription %d: %v", i+1, err)
		}
	}
	err := conn.Handle(ctx, "request/one-too-many", nop)
	var le *transport.LimitError
	if !errors.Is(err, transport.ErrTooManySubscriptions) || !errors.As(err, &le) || le.Max != awsiot.MaxSubscriptions {
		t.Fatalf("51st subscription: err = %v", err)
	}

	// What is at the limits goes through.
	if err := send("events", make([]byte, awsiot.MaxPayloadSize), 1); err != nil {
		t.Fatalf("payload at the limit: %v", err)
	}
	if err := send(strings.Repeat("t", 256-len("thing1/")), nil, 1); err != nil {
		t.Fatalf("topic at the limit: %v", err)
	}
	if err := send("a/b/c/d/e/f", nil, 1); err != nil {
		t.Fatalf("seven slashes: %v", err)
	}

	// Nothing reached the emulator that it would drop the connection for.
	if v := e.Violations(); len(v) != 0 {
		t.Fatalf("the emulator saw violations: %+v", v)
	}
	if n := len(e.Connections()); n != 1 || !conn.IsConnected() {
		t.Fatalf("%d connections, connected %v", n, conn.IsConnected())
	}
	if n := len(e.Received("thing1")); n != 3 {
		t.Fatalf("the emulator received %d messages, want 3", n)
	}
}

func TestPropertiesIgnore(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.Properties = awsiot.PropertiesIgnore
	conn := connect(t, cfg)
	msg := transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1, Properties: transport.Properties{CorrelationID: "42"}}
	if err := conn.Send(testContext(t), msg); err != nil {
		t.Fatal(err)
	}
	if got := e.Received("thing1"); len(got) != 1 || got[0].Topic != "thing1/events" {
		t.Fatalf("the cloud saw %+v", got)
	}
}

func TestResubscribeInBatchesOfEight(t *testing.T) {
	e := awsiottest.New(t)
	conn := connect(t, e.DeviceConfig("thing1"))
	ev := watch(conn)
	ctx := testContext(t)
	received := make(chan string, 1)
	for i := 0; i < 20; i++ {
		err := conn.Handle(ctx, fmt.Sprintf("request/r%02d", i), func(_ context.Context, m transport.Message) { received <- m.Topic })
		if err != nil {
			t.Fatal(err)
		}
	}
	reconnect(t, e, ev, "thing1")

	conns := e.Connections()
	if len(conns) != 2 {
		t.Fatalf("%d connections", len(conns))
	}
	total, eight := 0, false
	for _, packet := range conns[1].Subscribes {
		if len(packet) > awsiot.MaxFiltersPerSubscribe {
			t.Fatalf("a SUBSCRIBE with %d filters", len(packet))
		}
		eight = eight || len(packet) == awsiot.MaxFiltersPerSubscribe
		total += len(packet)
	}
	if total != 20 || !eight {
		t.Fatalf("re-subscribed %q", conns[1].Subscribes)
	}
	if err := e.Publish("thing1/request/r19", nil, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-received:
		if topic != "request/r19" {
			t.Fatalf("received %q", topic)
		}
	case <-ctx.Done():
		t.Fatal("no message after re-subscribing")
	}
	if v := e.Violations(); len(v) != 0 {
		t.Fatalf("violations %+v", v)
	}
}

// rawClient is an mqttx client with none of the adapter's checks, to show
// that the emulator really drops what the adapter refuses.
func rawClient(t *testing.T, e *awsiottest.Emulator, thing string, maxFilters int) (*mqttx.Client, *events) {
	t.Helper()
	cert, err := e.IssueCertificate(thing)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{ch: make(chan transport.Event, 256)}
	c, err := mqttx.New(mqttx.Options{
		Server:   "tls://" + e.Address(),
		ClientID: thing,
		TLSConfig: &tls.Config{RootCAs: e.CA(), ServerName: awsiottest.Endpoint,
			Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		MinBackoff:             time.Hour, // one connection only
		MaxFiltersPerSubscribe: maxFilters,
		OnEvent: func(x mqttx.Event) {
			select {
			case ev.ch <- x:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c, ev
}

func TestEmulatorDropsWhatTheAdapterRefuses(t *testing.T) {
	nop := func(context.Context, mqttx.Message) {}
	tests := []struct {
		name string
		do   func(ctx context.Context, c *mqttx.Client) error
		want error
	}{
		{"payload over 128 KiB", func(ctx context.Context, c *mqttx.Client) error {
			return c.Publish(ctx, "thing1/events", make([]byte, awsiot.MaxPayloadSize+1), 1, false)
		}, awsiot.ErrPayloadTooLarge},
		{"QoS 2", func(ctx context.Context, c *mqttx.Client) error {
			return c.Publish(ctx, "thing1/events", []byte("x"), 2, false)
		}, awsiot.ErrQoSNotSupported},
		{"topic over 256 bytes", func(ctx context.Context, c *mqttx.Client) error {
			return c.Publish(ctx, "thing1/"+strings.Repeat("t", 250), nil, 1, false)
		}, awsiot.ErrTopicTooLong},
		{"51 subscriptions", func(ctx context.Context, c *mqttx.Client) error {
			for i := 0; ; i++ {
				if err := c.Subscribe(ctx, fmt.Sprintf("thing1/s%d", i), 1, nop); err != nil {
					return err
				}
			}
		}, awsiot.ErrTooManySubscriptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := awsiottest.New(t)
			c, ev := rawClient(t, e, "thing1", 0)
			ctx := testContext(t)
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_ = tt.do(opCtx, c) // fails or not: the emulator's verdict is what counts
			ev.wait(t, transport.EventConnectionLost)
			v := e.Violations()
			if len(v) != 1 || !errors.Is(v[0].Err, tt.want) {
				t.Fatalf("violations %+v, want %v", v, tt.want)
			}
		})
	}

	t.Run("nine filters in one SUBSCRIBE", func(t *testing.T) {
		e := awsiottest.New(t)
		c, _ := rawClient(t, e, "thing1", 16)
		ctx := testContext(t)
		for i := 0; i < 9; i++ { // registered now, sent in one packet on connect
			if err := c.Subscribe(ctx, fmt.Sprintf("thing1/f%d", i), 1, nop); err != nil {
				t.Fatal(err)
			}
		}
		connCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := c.Connect(connCtx); err == nil {
			t.Fatal("connected although the SUBSCRIBE broke the limit")
		}
		v := e.Violations()
		if len(v) == 0 || !errors.Is(v[0].Err, awsiot.ErrTooManyFilters) {
			t.Fatalf("violations %+v", v)
		}
	})
}

func TestPort443ALPN(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.Port = awsiot.PortHTTPS
	connect(t, cfg)
	c := e.Connections()[0]
	if c.ALPN != awsiot.ALPNX509 || c.Auth != awsiot.AuthX509 || c.Certificate.Subject.CommonName != "thing1" {
		t.Fatalf("connection %+v", c)
	}
}

func TestWebSocketSigV4ResignsEveryAttempt(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.Auth = awsiot.AuthWebSocket
	var calls atomic.Int32
	cfg.CredentialsProvider = func(ctx context.Context) (awsiot.Credentials, error) {
		calls.Add(1)
		return e.CredentialsProvider(ctx)
	}
	// Each attempt signs at another second, so each URL is new.
	var clock atomic.Int64
	start := time.Now()
	cfg.Clock = func() time.Time { return start.Add(time.Duration(clock.Add(1)) * time.Second) }
	conn := connect(t, cfg)
	ev := watch(conn)
	reconnect(t, e, ev, "thing1")
	reconnect(t, e, ev, "thing1")
	if got := calls.Load(); got != 3 {
		t.Fatalf("credentials fetched %d times for 3 connections", got)
	}
	for _, c := range e.Connections() {
		if c.Auth != awsiot.AuthWebSocket {
			t.Fatalf("connection %+v", c)
		}
	}
	if err := conn.Send(testContext(t), transport.Message{Topic: "events", Payload: []byte("ws"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if got := e.Received("thing1"); len(got) != 1 || got[0].Topic != "thing1/events" {
		t.Fatalf("the cloud saw %+v", got)
	}
}

func TestWebSocketBadCredentials(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.Auth = awsiot.AuthWebSocket
	cfg.CredentialsProvider = func(context.Context) (awsiot.Credentials, error) {
		c := e.Credentials()
		c.SecretAccessKey = "wrong-secret"
		return c, nil
	}
	conn, err := awsiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = conn.Connect(ctx)
	if err == nil {
		t.Fatal("connected with a wrong secret")
	}
	for _, secret := range []string{"wrong-secret", e.Credentials().SessionToken, "X-Amz-Signature="} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q shows a secret", err)
		}
	}
	if v := e.Violations(); len(v) == 0 || !errors.Is(v[0].Err, awsiot.ErrInvalidSignature) {
		t.Fatalf("violations %+v", v)
	}
}

func TestCustomAuthorizer(t *testing.T) {
	var mu sync.Mutex
	var seen []awsiottest.AuthorizerRequest
	e := awsiottest.New(t, awsiottest.WithCustomAuthorizer("tether-auth", "token", func(r awsiottest.AuthorizerRequest) bool {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		return r.Token == "good-token"
	}))
	cfg := e.DeviceConfig("thing1")
	cfg.Auth = awsiot.AuthCustomAuthorizer
	cfg.Authorizer = awsiot.CustomAuthorizer{Name: "tether-auth", Signature: "c2ln+/=", TokenKeyName: "token", Token: "good-token", Username: "gw"}
	cfg.AuthorizerPassword = "pw"
	connect(t, cfg)
	want := awsiottest.AuthorizerRequest{Name: "tether-auth", Token: "good-token", Signature: "c2ln+/=", Username: "gw", Password: []byte("pw"), ClientID: "thing1"}
	mu.Lock()
	if len(seen) != 1 || seen[0].Name != want.Name || seen[0].Token != want.Token || seen[0].Signature != want.Signature ||
		seen[0].Username != want.Username || !bytes.Equal(seen[0].Password, want.Password) || seen[0].ClientID != want.ClientID {
		t.Fatalf("the authorizer saw %+v", seen)
	}
	mu.Unlock()
	if c := e.Connections()[0]; c.ALPN != awsiot.ALPNCustomAuthorizer || c.Auth != awsiot.AuthCustomAuthorizer {
		t.Fatalf("connection %+v", c)
	}

	cfg.ThingName = "thing2"
	cfg.Authorizer.Token = "bad-token"
	conn, err := awsiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.Connect(testContext(t)); !errors.Is(err, mqttx.ErrNotAuthorized) {
		t.Fatalf("refused authorizer: err = %v", err)
	}
}

func TestPublishRatePacing(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.PublishRate = 20 // a burst of 2, then one every 50 ms
	conn := connect(t, cfg)
	ctx := testContext(t)
	start := time.Now()
	for i := 0; i < 12; i++ {
		if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 5*time.Second {
		t.Fatalf("12 publishes at 20/s took %v", d)
	}
}

func TestByteRatePacing(t *testing.T) {
	e := awsiottest.New(t)
	cfg := e.DeviceConfig("thing1")
	cfg.ByteRate = 256 << 10 // burst: one maximum payload (128 KiB)
	conn := connect(t, cfg)
	ctx := testContext(t)
	start := time.Now()
	for i := 0; i < 3; i++ {
		if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: make([]byte, 64<<10), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Fatalf("192 KiB at 256 KiB/s with a 128 KiB burst took %v", d)
	}
}

func TestCertificateFilesReadOnEveryAttempt(t *testing.T) {
	e := awsiottest.New(t)
	dir := t.TempDir()
	certFile, keyFile, err := e.WriteCertificateFiles(dir, "thing1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.DeviceConfig("thing1")
	cfg.Certificate, cfg.CertFile, cfg.KeyFile = nil, certFile, keyFile
	conn := connect(t, cfg)
	ev := watch(conn)

	// Rotate the certificate: the next connection presents the new one.
	if _, _, err := e.WriteCertificateFiles(dir, "thing1"); err != nil {
		t.Fatal(err)
	}
	reconnect(t, e, ev, "thing1")
	conns := e.Connections()
	if len(conns) != 2 || conns[0].Certificate.SerialNumber.Cmp(conns[1].Certificate.SerialNumber) == 0 {
		t.Fatalf("the rotated certificate was not used: %+v", conns)
	}

	// A missing file fails the attempt, naming the setting; restoring it
	// lets the reconnect loop succeed.
	saved, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	e.Broker().Disconnect("thing1")
	ev.wait(t, transport.EventConnectionLost)
	failed := ev.wait(t, transport.EventConnectFailed)
	var ce *transport.ConfigError
	if !errors.As(failed.Err, &ce) || ce.Setting != "CertFile" {
		t.Fatalf("connect failed with %v, want a CertFile ConfigError", failed.Err)
	}
	if err := os.WriteFile(certFile, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, transport.EventConnected)
}

func TestCAFile(t *testing.T) {
	e := awsiottest.New(t)
	caFile := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(caFile, e.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := e.DeviceConfig("thing1")
	cfg.RootCAs, cfg.CAFile = nil, caFile
	connect(t, cfg)
}

func TestKeepAliveSent(t *testing.T) {
	e := awsiottest.New(t)
	connect(t, e.DeviceConfig("thing1"))
	cfg := e.DeviceConfig("thing2")
	cfg.KeepAlive = 45 * time.Second
	connect(t, cfg)
	conns := e.Connections()
	if conns[0].KeepAlive != awsiot.DefaultKeepAlive || conns[1].KeepAlive != 45*time.Second {
		t.Fatalf("keepalives %v, %v", conns[0].KeepAlive, conns[1].KeepAlive)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDuplicateClientIDLoopDetected(t *testing.T) {
	e := awsiottest.New(t)
	var logs syncBuffer
	loops := make(chan error, 16)
	newConn := func() *transport.Conn {
		cfg := e.DeviceConfig("thing1")
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cfg.OnConnectionLoop = func(err error) {
			select {
			case loops <- err:
			default:
			}
		}
		return connect(t, cfg)
	}
	first := newConn()
	ev := watch(first)
	second := newConn()
	// The second connection knocks the first off, as on AWS.
	ev.wait(t, transport.EventConnectionLost)
	select {
	case err := <-loops:
		if !errors.Is(err, awsiot.ErrConnectionLoop) || !strings.Contains(err.Error(), `client ID "thing1"`) {
			t.Fatalf("loop reported as %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatalf("no connection loop reported; takeovers: %d", e.Broker().Stats().Takeovers)
	}
	if got := e.Broker().Stats().Takeovers; got < awsiot.ConnectionLoopCount {
		t.Fatalf("%d takeovers", got)
	}
	if !strings.Contains(logs.String(), "client ID") {
		t.Fatalf("log %q", logs.String())
	}
	ctx := testContext(t)
	_ = first.Close(ctx)
	_ = second.Close(ctx)
}

func TestNoGoroutineLeft(t *testing.T) {
	leakcheck.Check(t)
	e := awsiottest.New(t)
	for _, auth := range []awsiot.AuthMethod{awsiot.AuthX509, awsiot.AuthWebSocket} {
		cfg := e.DeviceConfig("thing1")
		cfg.Auth = auth
		conn, err := awsiot.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := testContext(t)
		if err := conn.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		if err := conn.Handle(ctx, "request/#", func(context.Context, transport.Message) { close(done) }); err != nil {
			t.Fatal(err)
		}
		if err := conn.Send(ctx, transport.Message{Topic: "events", QoS: 1}); err != nil {
			t.Fatal(err)
		}
		if err := e.Publish("thing1/request/x", nil, 1); err != nil {
			t.Fatal(err)
		}
		<-done
		if err := conn.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPort443RequiresALPN(t *testing.T) {
	// A TLS server that ignores ALPN (here a plain broker) would not serve
	// MQTT on AWS's port 443: the attempt fails.
	b := mqttxtest.NewBroker(t, mqttxtest.WithTLS())
	cert, err := b.IssueClientCert("thing1")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := awsiot.New(awsiot.Config{
		Endpoint:    "localhost",
		Port:        awsiot.PortHTTPS,
		Address:     strings.TrimPrefix(b.TLSURL(), "tls://"),
		ThingName:   "thing1",
		Certificate: &cert,
		RootCAs:     b.CA(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := conn.Connect(ctx); !errors.Is(err, awsiot.ErrALPNNotNegotiated) {
		t.Fatalf("err = %v, want ErrALPNNotNegotiated", err)
	}
}
