package azureiot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// testTimeout bounds every wait of these tests.
const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newConn builds a transport for cfg and closes it when the test ends.
func newConn(t *testing.T, cfg azureiot.Config) *transport.Conn {
	t.Helper()
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

// connect builds a transport for cfg and connects it.
func connect(t *testing.T, cfg azureiot.Config) *transport.Conn {
	t.Helper()
	conn := newConn(t, cfg)
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return conn
}

// events records a transport's connection events.
type events struct {
	mu  sync.Mutex
	evs []transport.Event
	ch  chan transport.Event
}

func watch(conn *transport.Conn) *events {
	e := &events{ch: make(chan transport.Event, 100)}
	conn.Watch(func(ev transport.Event) {
		e.mu.Lock()
		e.evs = append(e.evs, ev)
		e.mu.Unlock()
		select {
		case e.ch <- ev:
		default:
		}
	})
	return e
}

func (e *events) count(kind transport.EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func TestSendEventsWithProperties(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	conn := connect(t, h.AddDevice("dev1"))
	ctx := testContext(t)

	props := transport.Properties{
		MessageID:       "msg-1",
		CorrelationID:   "corr 1",
		ContentType:     "application/json",
		ContentEncoding: "utf-8",
		Application:     map[string]string{"a&b": "x=y", "with space": "v a l", "semi;colon": "1;2", "empty": ""},
	}
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"t":21.5}`), QoS: 1, Properties: props}); err != nil {
		t.Fatal(err)
	}
	if err := conn.Send(ctx, transport.Message{Topic: "response/sensor/12/reading", Payload: []byte("42"), QoS: 0}); err != nil {
		t.Fatal(err)
	}
	got, err := h.WaitD2C(ctx, "dev1", 2)
	if err != nil {
		t.Fatal(err)
	}
	first := got[0]
	want := azureiot.Properties{MessageID: "msg-1", CorrelationID: "corr 1", ContentType: "application/json",
		ContentEncoding: "utf-8", Application: props.Application}
	if first.Topic != "events" || string(first.Payload) != `{"t":21.5}` || first.QoS != 1 || first.DeviceID != "dev1" ||
		!equalProps(first.Properties, want) {
		t.Errorf("hub saw %+v, want topic events with %+v", first, want)
	}
	if !strings.Contains(first.RawTopic, "%24.ct=application%2Fjson&%24.ce=utf-8") {
		t.Errorf("raw topic %q lacks the encoded $.ct and $.ce", first.RawTopic)
	}
	second := got[1]
	if second.Topic != "response/sensor/12/reading" || string(second.Payload) != "42" || second.QoS != 0 ||
		second.RawTopic != "devices/dev1/messages/events/subtopic=response.sensor.12.reading" {
		t.Errorf("hub saw %+v", second)
	}
}

func equalProps(a, b azureiot.Properties) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) // maps print sorted
}

func TestC2DToCanonicalHandlers(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	conn := connect(t, h.AddDevice("dev1"))
	ctx := testContext(t)

	got := make(chan string, 20)
	var mu sync.Mutex
	var msgs []transport.Message
	handler := func(name string) transport.Handler {
		return func(_ context.Context, m transport.Message) {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
			got <- name + " " + m.Topic
		}
	}
	// More canonical filters than IoT Hub's 5 subscriptions: they all share
	// the one C2D subscription.
	filters := []string{"request/#", "request/x/#", "c2d", "a", "b/+", "c/#", "d"}
	for _, f := range filters {
		if err := conn.Handle(ctx, f, handler(f)); err != nil {
			t.Fatalf("Handle(%q): %v", f, err)
		}
	}
	if !h.Subscribed("dev1", "devices/dev1/messages/devicebound/x") {
		t.Fatal("the hub does not see the C2D subscription")
	}

	err := h.SendC2D("dev1", []byte("list"), azureiot.Properties{
		ContentType: "text/plain",
		Application: map[string]string{azureiot.SubtopicProperty: "request.x.y", "q": "a&b=c d"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for want := range map[string]bool{"request/# request/x/y": true, "request/x/# request/x/y": true} {
		_ = want
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case s := <-got:
			seen[s] = true
		case <-ctx.Done():
			t.Fatalf("C2D not delivered to both request handlers; got %v", seen)
		}
	}
	if !seen["request/# request/x/y"] || !seen["request/x/# request/x/y"] {
		t.Fatalf("deliveries %v", seen)
	}
	mu.Lock()
	m := msgs[0]
	mu.Unlock()
	p := m.Properties
	if string(m.Payload) != "list" || m.QoS != 1 || p.ContentType != "text/plain" || p.MessageID == "" ||
		p.Application["q"] != "a&b=c d" || len(p.Application) != 1 ||
		p.System["$.to"] != "/devices/dev1/messages/devicebound" {
		t.Errorf("delivered %+v", m)
	}

	if err := h.SendC2D("dev1", []byte("plain"), azureiot.Properties{MessageID: "m2"}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "c2d c2d" {
			t.Errorf("C2D without subtopic went to %q, want the c2d handler", s)
		}
	case <-ctx.Done():
		t.Fatal("C2D without subtopic not delivered")
	}
	select {
	case s := <-got:
		t.Errorf("unexpected delivery %q", s)
	case <-time.After(100 * time.Millisecond):
	}
}

// rawClient connects a plain mqttx client with the identity's valid
// credentials, bypassing the adapter's local checks, and returns a channel
// that receives the connection-lost events.
func rawClient(t *testing.T, h *azureiottest.Hub, deviceID, moduleID string, mod func(*mqttx.Options)) (*mqttx.Client, <-chan mqttx.Event) {
	t.Helper()
	cs, err := h.ConnectionString(clientIDOf(deviceID, moduleID))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := azureiot.ParseConnectionString(cs)
	if err != nil {
		t.Fatal(err)
	}
	username, _ := azureiot.Username(h.HostName(), deviceID, moduleID, "")
	clientID, _ := azureiot.ClientID(deviceID, moduleID)
	lost := make(chan mqttx.Event, 10)
	opts := mqttx.Options{
		Server:    h.URL(),
		ClientID:  clientID,
		Username:  username,
		Password:  azureiot.SASToken(parsed.Resource(), parsed.SharedAccessKey, "", time.Now().Add(time.Hour)),
		TLSConfig: h.Broker().ClientTLSConfig(),
		// Never reconnect within a test: a lost connection stays lost.
		MinBackoff: time.Hour,
		OnEvent: func(ev mqttx.Event) {
			if ev.Kind == mqttx.EventConnectionLost {
				lost <- ev
			}
		},
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := mqttx.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = c.Disconnect(ctx)
	})
	return c, lost
}

func clientIDOf(deviceID, moduleID string) string {
	if moduleID == "" {
		return deviceID
	}
	return deviceID + "/" + moduleID
}

// Every rule IoT Hub enforces by closing the connection: the adapter
// refuses the operation locally with a typed error and stays connected,
// and a raw client that sends it anyway is dropped by the hub.
func TestViolationsRefusedLocallyAndDroppedByHub(t *testing.T) {
	leakcheck.Check(t)
	big := bytes.Repeat([]byte("x"), azureiot.MaxD2CMessageSize-10)
	bigProps := transport.Properties{Application: map[string]string{"key": "0123456789"}} // 13 bytes counted
	tests := []struct {
		name  string
		local func(context.Context, *transport.Conn) error
		is    error
		raw   func(context.Context, *mqttx.Client) error
	}{
		{"QoS 2 publish",
			func(ctx context.Context, c *transport.Conn) error {
				return c.Send(ctx, transport.Message{Topic: "events", QoS: 2})
			}, transport.ErrQoSNotSupported,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Publish(ctx, "devices/dev1/messages/events/", nil, 2, false)
			}},
		{"another device's topic",
			func(ctx context.Context, c *transport.Conn) error {
				return c.PublishRaw(ctx, "devices/dev2/messages/events/", nil, 1)
			}, transport.ErrTopicNotAllowed,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Publish(ctx, "devices/dev2/messages/events/", nil, 1, false)
			}},
		{"arbitrary topic",
			func(ctx context.Context, c *transport.Conn) error {
				return c.PublishRaw(ctx, "dev1/events", nil, 0)
			}, transport.ErrTopicNotAllowed,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Publish(ctx, "dev1/events", nil, 0, false)
			}},
		{"unknown $iothub topic",
			func(ctx context.Context, c *transport.Conn) error {
				return c.PublishRaw(ctx, "$iothub/twin/DELETE/?$rid=1", nil, 0)
			}, transport.ErrTopicNotAllowed,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Publish(ctx, "$iothub/twin/DELETE/?$rid=1", nil, 0, false)
			}},
		{"message over 256 KiB with its properties",
			func(ctx context.Context, c *transport.Conn) error {
				return c.Send(ctx, transport.Message{Topic: "events", Payload: big, QoS: 1, Properties: bigProps})
			}, transport.ErrPayloadTooLarge,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Publish(ctx, "devices/dev1/messages/events/key=0123456789", big, 1, false)
			}},
		{"subscription outside the allowed filters",
			func(ctx context.Context, c *transport.Conn) error {
				return c.SubscribeRaw(ctx, "devices/dev1/messages/#", 1, func(context.Context, transport.Message) {})
			}, transport.ErrTopicNotAllowed,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Subscribe(ctx, "devices/dev1/messages/#", 1, func(context.Context, mqttx.Message) {})
			}},
		{"wildcard subscription",
			func(ctx context.Context, c *transport.Conn) error {
				return c.SubscribeRaw(ctx, "#", 0, func(context.Context, transport.Message) {})
			}, transport.ErrTopicNotAllowed,
			func(ctx context.Context, c *mqttx.Client) error {
				return c.Subscribe(ctx, "#", 0, func(context.Context, mqttx.Message) {})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := azureiottest.New(t)
			conn := connect(t, h.AddDevice("dev1"))
			h.AddDevice("dev2")
			ctx := testContext(t)
			err := tt.local(ctx, conn)
			if !errors.Is(err, tt.is) {
				t.Fatalf("adapter: %v, want %v", err, tt.is)
			}
			var le *transport.LimitError
			if !errors.As(err, &le) || le.Cloud != transport.CloudAzure {
				t.Errorf("adapter: %v (%T) is not an azure *transport.LimitError", err, err)
			}
			// Nothing was sent and the connection is intact.
			if got := h.Broker().Received("dev1"); len(got) != 0 {
				t.Errorf("the hub received %d messages", len(got))
			}
			if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("still up"), QoS: 1}); err != nil {
				t.Fatalf("Send after the refusal: %v", err)
			}
			if st := h.Broker().Stats(); st.Disconnects != 0 {
				t.Errorf("the hub closed %d connections", st.Disconnects)
			}

			// The hub drops a client that does it anyway.
			h.AddDevice("dev1") // new key: the raw client's own identity
			raw, lost := rawClient(t, h, "dev1", "", nil)
			if err := raw.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			_ = tt.raw(ctx, raw) // the hub never answers: any result will do
			select {
			case ev := <-lost:
				t.Logf("hub closed the connection: %v", ev.Err)
			case <-ctx.Done():
				t.Fatal("the hub did not close the connection")
			}
		})
	}
}

// IoT Hub grants a QoS 2 subscription QoS 1 instead of dropping the
// connection; the adapter refuses QoS 2 locally anyway.
func TestQoS2Subscription(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	conn := connect(t, h.AddDevice("dev1"))
	ctx := testContext(t)
	err := conn.SubscribeRaw(ctx, azureiot.MethodRequestFilter, 2, func(context.Context, transport.Message) {})
	if !errors.Is(err, transport.ErrQoSNotSupported) {
		t.Fatalf("SubscribeRaw QoS 2: %v, want ErrQoSNotSupported", err)
	}

	h.AddDevice("dev2")
	raw, lost := rawClient(t, h, "dev2", "", nil)
	if err := raw.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan mqttx.Message, 1)
	if err := raw.Subscribe(ctx, "devices/dev2/messages/devicebound/#", 2, func(_ context.Context, m mqttx.Message) { got <- m }); err != nil {
		t.Fatalf("QoS 2 subscription: %v", err)
	}
	if err := h.SendC2D("dev2", []byte("hi"), azureiot.Properties{}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.QoS != 1 {
			t.Errorf("delivered at QoS %d, want 1 (granted)", m.QoS)
		}
	case <-ctx.Done():
		t.Fatal("C2D not delivered")
	}
	select {
	case ev := <-lost:
		t.Fatalf("connection lost: %v", ev.Err)
	default:
	}
}

// RETAIN is not stored: the hub records the message with the mqtt-retain
// property.
func TestRetainNotStored(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	ctx := testContext(t)
	raw, _ := rawClient(t, h, "dev1", "", nil)
	if err := raw.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := raw.Publish(ctx, "devices/dev1/messages/events/", []byte("r"), 1, true); err != nil {
		t.Fatal(err)
	}
	got, err := h.WaitD2C(ctx, "dev1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Properties.Application[azureiottest.RetainProperty] != "true" {
		t.Errorf("properties %+v lack %s", got[0].Properties, azureiottest.RetainProperty)
	}
	// A subscriber to everything the hub lets it see gets nothing retained.
	h.AddDevice("dev2")
	other, _ := rawClient(t, h, "dev2", "", nil)
	if err := other.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	retained := make(chan mqttx.Message, 1)
	if err := other.Subscribe(ctx, "devices/dev2/messages/devicebound/#", 1, func(_ context.Context, m mqttx.Message) { retained <- m }); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-retained:
		t.Errorf("received %+v", m)
	case <-time.After(100 * time.Millisecond):
	}
	if st := h.Broker().Stats(); st.MessagesOut != 0 {
		t.Errorf("the hub routed %d messages", st.MessagesOut)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	good := h.AddDevice("dev1")
	other := h.AddDevice("dev2")
	tests := []struct {
		name string
		cfg  azureiot.Config
		is   error
	}{
		{"wrong key", func() azureiot.Config { c := good; c.SharedAccessKey = other.SharedAccessKey; return c }(), mqttx.ErrNotAuthorized},
		{"expired token", func() azureiot.Config {
			c := good
			c.Clock = func() time.Time { return time.Now().Add(-2 * time.Hour) }
			return c
		}(), mqttx.ErrNotAuthorized},
		{"unknown device", func() azureiot.Config { c := good; c.DeviceID = "ghost"; return c }(), mqttx.ErrNotAuthorized},
		{"wrong hub", func() azureiot.Config { c := good; c.HostName = "other.azure-devices.net"; return c }(), mqttx.ErrBadUsernameOrPassword},
		{"X.509 device with a key", func() azureiot.Config {
			c := h.AddX509Device("dev3")
			c.Certificate, c.SharedAccessKey = nil, good.SharedAccessKey
			return c
		}(), mqttx.ErrNotAuthorized},
		{"another device's certificate", func() azureiot.Config {
			c := h.AddX509Device("dev4")
			c.DeviceID = "dev3"
			return c
		}(), mqttx.ErrNotAuthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := newConn(t, tt.cfg)
			start := time.Now()
			err := conn.Connect(testContext(t))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Connect: %v, want %v", err, tt.is)
			}
			var ce *mqttx.ConnectError
			if !errors.As(err, &ce) || !ce.Permanent() {
				t.Errorf("Connect: %v is not a permanent *mqttx.ConnectError", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Connect took %v to report a refusal", d)
			}
			// No fast retry loop: the refusal stops the loop.
			clientID := conn.Info().ClientID
			n := len(h.ConnectAttempts(clientID))
			time.Sleep(300 * time.Millisecond)
			if got := h.ConnectAttempts(clientID); len(got) != n || len(got) == 0 {
				t.Errorf("hub saw %d then %d attempts, want 1 and no retry", n, len(got))
			}
			if strings.Contains(err.Error(), "SharedAccessSignature") {
				t.Errorf("error %q contains a token", err)
			}
		})
	}
}

// The hub checks the username's format and the client id, whatever sends
// them.
func TestHubChecksUsernameAndClientID(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	tests := []struct {
		name string
		mod  func(*mqttx.Options)
		is   error
	}{
		{"username without api-version", func(o *mqttx.Options) { o.Username = h.HostName() + "/dev1/" }, mqttx.ErrBadUsernameOrPassword},
		{"username without host", func(o *mqttx.Options) { o.Username = "dev1/?api-version=" + azureiot.APIVersion }, mqttx.ErrBadUsernameOrPassword},
		{"client id of another device", func(o *mqttx.Options) { o.ClientID = "dev2" }, mqttx.ErrIdentifierRejected},
		{"no password", func(o *mqttx.Options) { o.Password = "" }, mqttx.ErrNotAuthorized},
		{"password not a SAS token", func(o *mqttx.Options) { o.Password = "hunter2" }, mqttx.ErrBadUsernameOrPassword},
		{"token for another resource", func(o *mqttx.Options) {
			o.Password = strings.Replace(o.Password, "dev1", "dev2", 1)
		}, mqttx.ErrNotAuthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := rawClient(t, h, "dev1", "", tt.mod)
			if err := c.Connect(testContext(t)); !errors.Is(err, tt.is) {
				t.Fatalf("Connect: %v, want %v", err, tt.is)
			}
		})
	}
}

// Every connection attempt mints a fresh token from the clock.
func TestFreshTokenPerAttempt(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	base := time.Now()
	var calls atomic.Int64
	cfg.Clock = func() time.Time { return base.Add(time.Duration(calls.Add(1)) * time.Second) }
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 10*time.Millisecond
	h.Broker().RefuseConnect(mqttx.ConnServerUnavailable, 2) // transient: retried
	conn := newConn(t, cfg)
	ev := watch(conn)
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("clock read %d times for 3 attempts, want one token per attempt", n)
	}
	if n := ev.count(transport.EventConnectFailed); n != 2 {
		t.Errorf("%d failed attempts, want 2", n)
	}
	attempts := h.ConnectAttempts("dev1")
	if len(attempts) != 1 || attempts[0].Code != 0 {
		t.Fatalf("hub attempts %+v, want one accepted", attempts)
	}
	wantExpiry := base.Add(3*time.Second + azureiot.DefaultTokenTTL)
	if got := attempts[0].TokenExpiry; got.Unix() != wantExpiry.Unix()+boolInt(wantExpiry.Nanosecond() > 0) {
		t.Errorf("token expiry %v, want the third token's %v", got, wantExpiry)
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// With a short token lifetime the adapter renews the connection before the
// hub closes it at the token's expiry, and QoS 1 messages sent in a loop
// across the renewals all arrive, once and in order: the graceful reconnect
// lets the publishes in flight finish and holds new ones until the fresh
// connection is up.
func TestTokenRenewal(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.TokenTTL, cfg.TokenRenewAt = 2*time.Second, 0.5
	conn := newConn(t, cfg)
	ev := watch(conn)
	ctx := testContext(t)
	if err := conn.Connect(ctx); err != nil {
		t.Fatal(err)
	}

	const runFor = 4500 * time.Millisecond // four renewals, two token lifetimes
	sent := 0
	for start := time.Now(); time.Since(start) < runFor; sent++ {
		payload := []byte(fmt.Sprint(sent))
		if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: payload, QoS: 1}); err != nil {
			t.Fatalf("message %d: %v", sent, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	got, err := h.WaitD2C(ctx, "dev1", sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != sent {
		t.Errorf("hub received %d messages, sent %d", len(got), sent)
	}
	for i, m := range got {
		if string(m.Payload) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q: lost, duplicated or reordered", i, m.Payload)
		}
	}
	if n := h.TokenExpiries(); n != 0 {
		t.Errorf("the hub closed %d connections at token expiry: renewal came too late", n)
	}
	accepted := 0
	expiries := map[int64]bool{}
	for _, a := range h.ConnectAttempts("dev1") {
		if a.Code == 0 {
			accepted++
			expiries[a.TokenExpiry.Unix()] = true
		}
	}
	if accepted < 4 || len(expiries) != accepted {
		t.Errorf("%d accepted connections with %d distinct token expiries, want >= 4 renewals with fresh tokens", accepted, len(expiries))
	}
	t.Logf("%d messages over %d connections (%d connection-lost events)", sent, accepted, ev.count(transport.EventConnectionLost))
}

// The hub closes a connection whose token expired; a client that does not
// renew is dropped.
func TestHubClosesAtTokenExpiry(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	cs, _ := h.ConnectionString("dev1")
	parsed, _ := azureiot.ParseConnectionString(cs)
	raw, lost := rawClient(t, h, "dev1", "", func(o *mqttx.Options) {
		o.Password = azureiot.SASToken(parsed.Resource(), parsed.SharedAccessKey, "", time.Now().Add(1500*time.Millisecond))
	})
	ctx := testContext(t)
	start := time.Now()
	if err := raw.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
	case <-ctx.Done():
		t.Fatal("the hub kept a connection with an expired token")
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("closed after %v, want at the token's expiry (<= 2 s)", d)
	}
	if n := h.TokenExpiries(); n != 1 {
		t.Errorf("TokenExpiries() = %d, want 1", n)
	}
}

// A device whose clock was never set fails to connect with ErrClockNotSet
// instead of sending a token that expired in 1970.
func TestClockNotSet(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.Clock = func() time.Time { return time.Unix(42, 0) }
	conn := newConn(t, cfg)
	ev := watch(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := conn.Connect(ctx)
	if !errors.Is(err, azureiot.ErrClockNotSet) {
		t.Fatalf("Connect: %v, want ErrClockNotSet", err)
	}
	if !strings.Contains(err.Error(), "1970-01-01T00:00:42Z") {
		t.Errorf("error %q does not show the clock", err)
	}
	if n := len(h.ConnectAttempts("dev1")); n != 0 {
		t.Errorf("the hub saw %d CONNECTs, want none", n)
	}
	select {
	case e := <-ev.ch:
		for e.Kind != transport.EventConnectFailed {
			e = <-ev.ch
		}
		if !errors.Is(e.Err, azureiot.ErrClockNotSet) {
			t.Errorf("EventConnectFailed error %v, want ErrClockNotSet", e.Err)
		}
	case <-time.After(time.Second):
		t.Error("no EventConnectFailed")
	}
}

func TestModuleIdentity(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	conn := connect(t, h.AddModule("dev1", "mod1"))
	ctx := testContext(t)

	want := transport.Info{Cloud: transport.CloudAzure, DeviceID: "dev1", ModuleID: "mod1", ClientID: "dev1/mod1"}
	if got := conn.Info(); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	attempts := h.ConnectAttempts("dev1/mod1")
	if len(attempts) != 1 || attempts[0].Username != h.HostName()+"/dev1/mod1/?api-version="+azureiot.APIVersion {
		t.Errorf("hub attempts %+v", attempts)
	}
	if err := conn.Send(ctx, transport.Message{Topic: "telemetry/temp", Payload: []byte("1"), QoS: 1,
		Properties: transport.Properties{Application: map[string]string{"unit": "°C"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := h.WaitD2C(ctx, "dev1/mod1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if m := got[0]; m.DeviceID != "dev1" || m.ModuleID != "mod1" || m.Topic != "telemetry/temp" ||
		m.Properties.Application["unit"] != "°C" || !strings.HasPrefix(m.RawTopic, "devices/dev1/modules/mod1/messages/events/") {
		t.Errorf("hub saw %+v", m)
	}
	if err := conn.Handle(ctx, "request/#", func(context.Context, transport.Message) {}); !errors.Is(err, transport.ErrTopicNotAllowed) {
		t.Errorf("module Handle: %v, want ErrTopicNotAllowed", err)
	}
	if err := conn.SubscribeRaw(ctx, azureiot.MethodRequestFilter, 0, func(context.Context, transport.Message) {}); err != nil {
		t.Errorf("module method subscription: %v", err)
	}
	if err := conn.PublishRaw(ctx, "devices/dev1/messages/events/", nil, 1); !errors.Is(err, transport.ErrTopicNotAllowed) {
		t.Errorf("module publishing as its device: %v, want ErrTopicNotAllowed", err)
	}
}

func TestWebSocket(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.WebSocket, cfg.Server = true, h.WebSocketURL()
	if !strings.HasSuffix(cfg.Server, "/$iothub/websocket") || !strings.HasPrefix(cfg.Server, "wss://127.0.0.1:") {
		t.Fatalf("WebSocketURL() = %q", cfg.Server)
	}
	conn := connect(t, cfg)
	ctx := testContext(t)
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("over websocket"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if got, err := h.WaitD2C(ctx, "dev1", 1); err != nil || string(got[0].Payload) != "over websocket" {
		t.Fatalf("hub saw %+v, %v", got, err)
	}
}

func TestX509Device(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddX509Device("dev1")
	conn := connect(t, cfg)
	ctx := testContext(t)
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("x509"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WaitD2C(ctx, "dev1", 1); err != nil {
		t.Fatal(err)
	}
	a := h.ConnectAttempts("dev1")
	if len(a) != 1 || !a[0].X509 || !a[0].TokenExpiry.IsZero() {
		t.Errorf("hub attempts %+v, want one X.509 connection", a)
	}
	// Without token there is nothing to renew: the connection stays up
	// past any renewal deadline.
	if h.TokenExpiries() != 0 {
		t.Error("token expiry on an X.509 connection")
	}
}

func TestConnectionStringConfig(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	cs, err := h.ConnectionString("dev1")
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, azureiot.Config{ConnectionString: cs, Server: h.URL(), RootCAs: h.CA()})
	if got := conn.Info().DeviceID; got != "dev1" {
		t.Errorf("DeviceID %q", got)
	}
}

func TestModelIDAndKeepAlive(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.ModelID = "dtmi:com:example:Thermostat;1"
	cfg.KeepAlive = azureiot.MaxKeepAlive
	cfg.PersistentSession = true
	connect(t, cfg)
	a := h.ConnectAttempts("dev1")
	if len(a) != 1 {
		t.Fatalf("attempts %+v", a)
	}
	wantUser := h.HostName() + "/dev1/?api-version=" + azureiot.APIVersion + "&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1"
	if a[0].Username != wantUser || a[0].KeepAlive != azureiot.MaxKeepAlive || a[0].CleanSession {
		t.Errorf("attempt %+v, want username %q, keepalive %v, persistent session", a[0], wantUser, azureiot.MaxKeepAlive)
	}
}
