package awsiottest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/shadowdoc"
)

const shadowPrefix = "$aws/things/thing1/shadow"

// expectPublish reads the next packet, which must be a PUBLISH on topic
// at qos, and returns its payload.
func (r *rawClient) expectPublish(topic string, qos byte) []byte {
	r.t.Helper()
	p, err := parsePublish(r.expect(packetPublish))
	if err != nil {
		r.t.Fatal(err)
	}
	if p.topic != topic || p.qos != qos {
		r.t.Fatalf("got PUBLISH %q QoS %d (%s), want %q QoS %d", p.topic, p.qos, p.payload, topic, qos)
	}
	if qos > 0 {
		r.send(puback(p.packetID))
	}
	return p.payload
}

// connectRaw connects a raw client with its own certificate for thing.
func connectRaw(t *testing.T, e *Emulator, thing, clientID string, clean bool) (*rawClient, frame) {
	t.Helper()
	cert, err := e.IssueCertificate(thing)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dialRaw(t, e, &cert)
	if err != nil {
		t.Fatal(err)
	}
	r.send(encodeConnect(testConnect{clientID: clientID, keepAlive: 60, clean: clean}))
	return r, r.expect(2)
}

func TestShadowRepliesGoToEverySubscriber(t *testing.T) {
	leakcheck.Check(t)
	e := New(t)
	dev := deviceClient(t, e, "thing1")
	dev.send(encodeSubscribe(1, shadowPrefix+"/get/rejected", shadowPrefix+"/update/accepted"))
	dev.expect(9)
	// An application of another thing, subscribed at QoS 0, with a filter
	// that would also match the request topics if they were routed.
	app, _ := connectRaw(t, e, "app", "app", true)
	app.send(encodeSubscribeQoS(1, []string{shadowPrefix + "/update/accepted", shadowPrefix + "/+", "sentinel"}, []byte{0, 1, 0}))
	app.expect(9)

	dev.send(encodePublish(shadowPrefix+"/get", 1, 7, []byte(`{"clientToken":"g1"}`)))
	payload := dev.expectPublish(shadowPrefix+"/get/rejected", 1)
	if !strings.Contains(string(payload), `"code":404`) || !strings.Contains(string(payload), `"clientToken":"g1"`) {
		t.Fatalf("get/rejected %s", payload)
	}
	dev.expect(packetPuback)

	dev.send(encodePublish(shadowPrefix+"/update", 1, 8, []byte(`{"state":{"reported":{"fan":1}},"clientToken":"u1"}`)))
	dev.expectPublish(shadowPrefix+"/update/accepted", 1)
	dev.expect(packetPuback)
	if got := string(app.expectPublish(shadowPrefix+"/update/accepted", 0)); !strings.Contains(got, `"clientToken":"u1"`) {
		t.Fatalf("the application got %s", got)
	}
	// The requests were consumed by the service, not routed to "+".
	if err := e.Publish("sentinel", []byte("s"), 0); err != nil {
		t.Fatal(err)
	}
	app.expectPublish("sentinel", 0)

	if got := len(e.Received("thing1")); got != 2 {
		t.Fatalf("Received lists %d requests, want 2", got)
	}
	doc, ok := e.ShadowDocument("thing1", "")
	if !ok || doc.Version != 1 {
		t.Fatalf("ShadowDocument = %+v, %v", doc, ok)
	}
}

func TestShadowMessagesNotQueuedForAbsentClient(t *testing.T) {
	leakcheck.Check(t)
	e := New(t)
	dev, ack := connectRaw(t, e, "thing1", "thing1", false)
	if ack.body[1] != 0 {
		t.Fatalf("CONNACK %v", ack.body)
	}
	dev.send(encodeSubscribe(1, shadowPrefix+"/update/delta"))
	dev.expect(9)
	if err := e.SetDesired("thing1", "", map[string]any{"fan": 2}); err != nil {
		t.Fatal(err)
	}
	dev.expectPublish(shadowPrefix+"/update/delta", 1) // online: delivered

	_ = dev.c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Broker().WaitDisconnected(ctx, "thing1"); err != nil {
		t.Fatal(err)
	}
	if err := e.SetDesired("thing1", "", map[string]any{"fan": 3}); err != nil {
		t.Fatal(err)
	}
	// A plain QoS 1 message is queued for the persistent session; the
	// shadow service's delta was not.
	if err := e.Publish(shadowPrefix+"/update/delta", []byte("queued"), 1); err != nil {
		t.Fatal(err)
	}

	dev, ack = connectRaw(t, e, "thing1", "thing1", false)
	if ack.body[0] != 1 || ack.body[1] != 0 {
		t.Fatalf("CONNACK %v, want session present", ack.body)
	}
	if got := string(dev.expectPublish(shadowPrefix+"/update/delta", 1)); got != "queued" {
		t.Fatalf("after reconnecting, the device got %s", got)
	}
}

func TestShadowCloudControls(t *testing.T) {
	leakcheck.Check(t)
	e := New(t)
	dev := deviceClient(t, e, "thing1")
	named := shadowPrefix + "/name/cfg"
	dev.send(encodeSubscribe(1, named+"/update/delta", named+"/delete/accepted", named+"/update/rejected"))
	dev.expect(9)

	if err := e.SetDesired("thing1", "cfg", map[string]any{"mode": "eco"}); err != nil {
		t.Fatal(err)
	}
	if got := string(dev.expectPublish(named+"/update/delta", 1)); !strings.Contains(got, `"state":{"mode":"eco"}`) {
		t.Fatalf("delta %s", got)
	}
	if _, ok := e.ShadowDocument("thing1", ""); ok {
		t.Fatal("the classic shadow exists")
	}
	doc, ok := e.ShadowDocument("thing1", "cfg")
	if !ok || doc.State.Delta["mode"] != "eco" || doc.Version != 1 {
		t.Fatalf("ShadowDocument = %+v, %v", doc, ok)
	}

	// Held requests are answered on release; the 11th is refused at once.
	e.HoldShadowRequests("thing1")
	for i := range 10 {
		dev.send(encodePublish(named+"/update", 1, uint16(10+i), []byte(`{"state":{"reported":{"n":1}}}`)))
		dev.expect(packetPuback)
	}
	if got := e.HeldShadowRequests("thing1"); got != 10 {
		t.Fatalf("HeldShadowRequests = %d", got)
	}
	dev.send(encodePublish(named+"/update", 1, 30, []byte(`{"state":{"reported":{"n":2}},"clientToken":"t11"}`)))
	if got := string(dev.expectPublish(named+"/update/rejected", 1)); !strings.Contains(got, `"code":429`) {
		t.Fatalf("rejected %s", got)
	}
	dev.expect(packetPuback)
	e.ReleaseShadowRequests("thing1")
	if got := e.HeldShadowRequests("thing1"); got != 0 {
		t.Fatalf("HeldShadowRequests = %d after release", got)
	}
	// Each held update is answered in order: desired mode still differs
	// from reported, so each publishes a delta (versions 2 to 11).
	for v := 2; v <= 11; v++ {
		got := string(dev.expectPublish(named+"/update/delta", 1))
		if !strings.Contains(got, fmt.Sprintf(`"version":%d`, v)) {
			t.Fatalf("delta %s, want version %d", got, v)
		}
	}
	if doc, _ := e.ShadowDocument("thing1", "cfg"); doc.Version != 11 {
		t.Fatalf("version %d after release, want 11", doc.Version)
	}

	if err := e.DeleteShadow("thing1", "cfg"); err != nil {
		t.Fatal(err)
	}
	dev.expectPublish(named+"/delete/accepted", 1)
	err := e.DeleteShadow("thing1", "cfg")
	var se *shadowdoc.Error
	if !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("deleting again: %v", err)
	}
	if err := e.SetDesired("thing1", strings.Repeat("x", 65), map[string]any{"a": 1}); !errors.Is(err, shadowdoc.ErrInvalidShadowName) {
		t.Fatalf("invalid shadow name: %v", err)
	}
}
