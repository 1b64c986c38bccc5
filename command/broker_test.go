package command_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// connectMQTT returns a plain MQTT transport for id, connected to b.
func connectMQTT(t *testing.T, b *mqttxtest.Broker, id string) transport.Transport {
	t.Helper()
	tr, err := mqtt.New(mqtt.Config{Server: b.URL(), DeviceID: id, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	return tr
}

// The whole path over a real (in-process) MQTT broker and the plain MQTT
// adapter: a device, an application, a group, every delivery duplicated.
func TestOverMQTTBroker(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	b.DuplicateDeliveries(true)
	ctx := t.Context()

	r, effects := testRouter(nil)
	devA := connectMQTT(t, b, "gw-a")
	devB := connectMQTT(t, b, "gw-b")
	app := connectMQTT(t, b, "app")
	da, err := command.NewDevice(ctx, devA, r, quietLog(), command.WithGroups("floor-3"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := command.NewDevice(ctx, devB, r, quietLog(), command.WithGroups("floor-3"))
	if err != nil {
		t.Fatal(err)
	}
	inv := command.NewInvoker(app, command.InvokerConfig{AttemptTimeout: 2 * time.Second, Sender: "app"})

	res, err := inv.Invoke(ctx, "gw-a", "relay.set", map[string]string{"state": "on"})
	if err != nil || res.Status != command.StatusNoContent {
		t.Fatalf("Invoke = %+v, %v", res, err)
	}
	// The application retries the same TID: answered from the cache.
	res2, err := inv.Invoke(ctx, "gw-a", "relay.set", map[string]string{"state": "on"}, command.WithTID(res.TID))
	if err != nil || res2.Status != command.StatusNoContent {
		t.Fatalf("retry = %+v, %v", res2, err)
	}
	// Every delivery was answered: 2 requests, each delivered twice.
	waitFor(t, func() bool {
		answers := 0
		for _, m := range b.Received("gw-a") {
			if m.Topic == "gw-a/response/relay/set" {
				answers++
			}
		}
		return answers == 4
	})
	if n := effects.Load(); n != 1 {
		t.Fatalf("handler ran %d times under duplicated deliveries and a retry, want 1", n)
	}

	if _, err := inv.Invoke(ctx, "gw-a", "fan.set", nil); !errors.Is(err, command.ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := inv.Invoke(ctx, "gw-b", "crash", nil); err == nil {
		t.Fatal("panic: no error")
	}

	gctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	gres, err := inv.InvokeGroup(gctx, "floor-3", "sensor.list", nil, []string{"gw-a", "gw-b", "gw-silent"})
	if err != nil {
		t.Fatal(err)
	}
	var answered []string
	for _, a := range gres.Answers {
		answered = append(answered, a.Device)
	}
	if !slices.Equal(answered, []string{"gw-a", "gw-b"}) || !slices.Equal(gres.Missing, []string{"gw-silent"}) {
		t.Fatalf("answered %v missing %v", answered, gres.Missing)
	}

	for _, d := range []*command.Device{da, db} {
		if err := d.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []transport.Transport{devA, devB, app} {
		if err := tr.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// mqttxPubSub adapts a bare mqttx.Client to command.PubSub, for tools that
// do not use a transport.
type mqttxPubSub struct{ c *mqttx.Client }

func (p mqttxPubSub) PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error {
	return p.c.Publish(ctx, topic, payload, qos, false)
}

func (p mqttxPubSub) SubscribeRaw(ctx context.Context, filter string, qos byte, h transport.Handler) error {
	return p.c.Subscribe(ctx, filter, qos, func(ctx context.Context, m mqttx.Message) {
		h(ctx, transport.Message{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Duplicate: m.Duplicate})
	})
}

func (p mqttxPubSub) UnsubscribeRaw(ctx context.Context, filter string) error {
	return p.c.Unsubscribe(ctx, filter)
}

func TestInvokerOverMQTTXClient(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	ctx := t.Context()
	r, _ := testRouter(nil)
	devT := connectMQTT(t, b, "gw-7")
	dev, err := command.NewDevice(ctx, devT, r, quietLog(), command.WithScheme(command.SchemeCmd))
	if err != nil {
		t.Fatal(err)
	}
	c, err := mqttx.New(mqttx.Options{Server: b.URL(), ClientID: "tool"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	inv := command.NewInvoker(mqttxPubSub{c}, command.InvokerConfig{Scheme: command.SchemeCmd, AttemptTimeout: 2 * time.Second})
	res, err := inv.Invoke(ctx, "gw-7", "sensor.list", nil)
	if err != nil || res.Status != 200 || string(res.Payload) != `["temp","humidity"]` {
		t.Fatalf("Invoke = %+v, %v", res, err)
	}
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dev.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := devT.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
