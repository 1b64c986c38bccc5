package azureiottest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, cfg azureiot.Config) *transport.Conn {
	t.Helper()
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestStartAndClose(t *testing.T) {
	leakcheck.Check(t)
	h, err := azureiottest.Start(azureiottest.WithHostName("myhub.azure-devices.net"))
	if err != nil {
		t.Fatal(err)
	}
	if h.HostName() != "myhub.azure-devices.net" || !strings.HasPrefix(h.URL(), "tls://127.0.0.1:") ||
		!strings.HasSuffix(h.WebSocketURL(), azureiot.WebSocketPath) || h.CA() == nil || h.Broker() == nil {
		t.Errorf("hub %q %q %q", h.HostName(), h.URL(), h.WebSocketURL())
	}
	cfg := h.AddDevice("dev1")
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := h.WaitD2C(context.Background(), "dev1", 1); !errors.Is(err, azureiottest.ErrClosed) {
		t.Errorf("WaitD2C after Close: %v, want ErrClosed", err)
	}
	_ = conn.Close(testContext(t))
}

func TestConnectionString(t *testing.T) {
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	h.AddModule("dev1", "mod1")
	h.AddX509Device("dev2")
	tests := []struct {
		id, want string
	}{
		{"dev1", "HostName=" + azureiottest.DefaultHostName + ";DeviceId=dev1;SharedAccessKey=" + cfg.SharedAccessKey},
		{"dev2", "HostName=" + azureiottest.DefaultHostName + ";DeviceId=dev2;x509=true"},
	}
	for _, tt := range tests {
		if got, err := h.ConnectionString(tt.id); err != nil || got != tt.want {
			t.Errorf("ConnectionString(%q) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
	cs, err := h.ConnectionString("dev1/mod1")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := azureiot.ParseConnectionString(cs)
	if err != nil || parsed.DeviceID != "dev1" || parsed.ModuleID != "mod1" || len(parsed.SharedAccessKey) != 32 {
		t.Errorf("module connection string %v: %+v, %v", parsed, parsed, err)
	}
	if _, err := h.ConnectionString("ghost"); !errors.Is(err, azureiottest.ErrUnknownDevice) {
		t.Errorf("unknown device: %v", err)
	}
}

func TestGeneratedKeysDiffer(t *testing.T) {
	h := azureiottest.New(t)
	a, b := h.AddDevice("a"), h.AddDevice("b")
	if a.SharedAccessKey == b.SharedAccessKey || a.SharedAccessKey == "" {
		t.Errorf("keys %q and %q", a.SharedAccessKey, b.SharedAccessKey)
	}
	if again := h.AddDevice("a"); again.SharedAccessKey == a.SharedAccessKey {
		t.Error("re-adding a device kept its key")
	}
}

// Services registered for a prefix get the $iothub requests and answer on
// the topics the device subscribed to.
func TestServices(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	reqs := make(chan azureiottest.Request, 10)
	h.Handle("$iothub/twin/", func(r azureiottest.Request) {
		reqs <- r
		rid := r.Topic[strings.LastIndex(r.Topic, "=")+1:]
		if err := h.Deliver(r.ClientID, "$iothub/twin/res/200/?$rid="+rid, []byte(`{"desired":{}}`), 0); err != nil {
			t.Errorf("Deliver: %v", err)
		}
	})
	methodRes := make(chan azureiottest.Request, 1)
	h.Handle("$iothub/twin/PATCH/", func(r azureiottest.Request) { reqs <- r })
	h.Handle("$iothub/methods/res/", func(r azureiottest.Request) { methodRes <- r })
	conn := connect(t, h.AddDevice("dev1"))
	ctx := testContext(t)

	responses := make(chan transport.Message, 1)
	if err := conn.SubscribeRaw(ctx, azureiot.TwinResponseFilter, 0, func(_ context.Context, m transport.Message) { responses <- m }); err != nil {
		t.Fatal(err)
	}
	if err := conn.PublishRaw(ctx, "$iothub/twin/GET/?$rid=42", nil, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-reqs:
		if r.ClientID != "dev1" || r.DeviceID != "dev1" || r.ModuleID != "" || r.Topic != "$iothub/twin/GET/?$rid=42" {
			t.Errorf("request %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("twin GET not served")
	}
	select {
	case m := <-responses:
		if m.Topic != "$iothub/twin/res/200/?$rid=42" || string(m.Payload) != `{"desired":{}}` {
			t.Errorf("response %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no twin response")
	}
	// The longest prefix wins.
	if err := conn.PublishRaw(ctx, "$iothub/twin/PATCH/properties/reported/?$rid=7", []byte(`{"a":1}`), 1); err != nil {
		t.Fatal(err)
	}
	if r := <-reqs; !strings.HasPrefix(r.Topic, "$iothub/twin/PATCH/") || string(r.Payload) != `{"a":1}` || r.QoS != 1 {
		t.Errorf("patch request %+v", r)
	}
	select {
	case m := <-responses:
		t.Errorf("the PATCH service does not answer, got %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
	if err := conn.PublishRaw(ctx, "$iothub/methods/res/200/?$rid=9", []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-methodRes:
		if r.Topic != "$iothub/methods/res/200/?$rid=9" {
			t.Errorf("method response %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("method response not served")
	}
	// Nothing is delivered on a topic the device did not subscribe to.
	err := h.Deliver("dev1", "$iothub/methods/POST/reboot/?$rid=1", nil, 0)
	if !errors.Is(err, azureiottest.ErrNotSubscribed) {
		t.Errorf("Deliver to an unsubscribed topic: %v, want ErrNotSubscribed", err)
	}
	if h.Subscribed("dev2", azureiot.TwinResponseFilter) {
		t.Error("unknown client subscribed")
	}
	// D2C messages do not reach services; $iothub requests are not D2C.
	if got := h.D2C("dev1"); len(got) != 0 {
		t.Errorf("D2C = %+v", got)
	}
}

func TestSendC2DErrors(t *testing.T) {
	h := azureiottest.New(t)
	h.AddDevice("dev1")
	h.AddModule("dev1", "mod1")
	tests := []struct {
		name   string
		device string
		body   []byte
		props  azureiot.Properties
		is     error
	}{
		{"unknown device", "ghost", nil, azureiot.Properties{}, azureiottest.ErrUnknownDevice},
		{"module", "dev1/mod1", nil, azureiot.Properties{}, azureiottest.ErrUnknownDevice},
		{"too large", "dev1", make([]byte, azureiot.MaxC2DMessageSize), azureiot.Properties{}, azureiot.ErrPayloadTooLarge},
		{"bad property", "dev1", nil, azureiot.Properties{Application: map[string]string{"$.x": "1"}}, azureiot.ErrInvalidPropertyBag},
	}
	for _, tt := range tests {
		if err := h.SendC2D(tt.device, tt.body, tt.props); !errors.Is(err, tt.is) {
			t.Errorf("%s: SendC2D = %v, want %v", tt.name, err, tt.is)
		}
	}
}

// A persistent session keeps the C2D subscription and queues C2D messages
// while the device is away.
func TestC2DQueuedForPersistentSession(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.PersistentSession = true
	first := connect(t, cfg)
	ctx := testContext(t)
	if err := first.Handle(ctx, "request/#", func(context.Context, transport.Message) {}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.SendC2D("dev1", []byte("while away"), azureiot.Properties{
		Application: map[string]string{azureiot.SubtopicProperty: "request.reboot"}}); err != nil {
		t.Fatal(err)
	}
	got := make(chan transport.Message, 1)
	second, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close(context.Background()) })
	// Register the handler before connecting: the queued message arrives
	// right after CONNACK.
	if err := second.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	if err := second.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Topic != "request/reboot" || string(m.Payload) != "while away" {
			t.Errorf("delivered %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("queued C2D message not delivered")
	}
}

// A D2C message whose property bag is not canonical is still recorded.
func TestD2CNotCanonical(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	conn := connect(t, cfg)
	ctx := testContext(t)
	if err := conn.PublishRaw(ctx, "devices/dev1/messages/events/a=1&a=2", []byte("dup"), 1); err != nil {
		t.Fatal(err)
	}
	got, err := h.WaitD2C(ctx, "dev1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if m := got[0]; m.Topic != "" || m.RawTopic != "devices/dev1/messages/events/a=1&a=2" || m.Properties.Application["a"] == "" {
		t.Errorf("recorded %+v", m)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := h.WaitD2C(short, "dev1", 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitD2C for a message never sent: %v", err)
	}
}

// Fault injection of the underlying broker works through the hub: a
// dropped device reconnects with a fresh token.
func TestBrokerFaultInjection(t *testing.T) {
	leakcheck.Check(t)
	h := azureiottest.New(t)
	cfg := h.AddDevice("dev1")
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 10*time.Millisecond
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	up := make(chan struct{}, 10)
	conn.Watch(func(ev transport.Event) {
		if ev.Kind == mqttx.EventConnected {
			up <- struct{}{}
		}
	})
	ctx := testContext(t)
	if err := conn.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	<-up
	if !h.Broker().Disconnect("dev1") {
		t.Fatal("device not connected")
	}
	select {
	case <-up:
	case <-ctx.Done():
		t.Fatal("no reconnect")
	}
	a := h.ConnectAttempts("dev1")
	if len(a) != 2 || a[0].Code != 0 || a[1].Code != 0 {
		t.Errorf("attempts %+v", a)
	}
}
