package benchmark_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/rawpaho"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// publisher sends one message and returns when its API says it is sent.
type publisher func(ctx context.Context, payload []byte) error

// publishClients connect a publisher for device on url, publishing on
// "{device}/telemetry" at qos.
var publishClients = []struct {
	name    string
	connect func(b *testing.B, ctx context.Context, url, device string, qos byte) publisher
}{
	{"tether", connectTetherPublisher},
	{"paho", connectPahoPublisher},
	// QoS 1 only: the same transport without the outbox, which tells
	// the outbox's share of a QoS 1 Send (a QoS 0 Send does not use it).
	{"tether-direct", connectTetherDirectPublisher},
}

// connectTetherPublisher sends through tether's transport: the plain MQTT
// adapter, transport.Conn (validation, dialect, pacing, and whatever Send
// does for QoS 1) and mqttx.
func connectTetherPublisher(b *testing.B, ctx context.Context, url, device string, qos byte) publisher {
	conn := connectPlainConn(b, ctx, url, device)
	return func(ctx context.Context, payload []byte) error {
		return conn.Send(ctx, transport.Message{Topic: "telemetry", Payload: payload, QoS: qos})
	}
}

// connectTetherDirectPublisher sends with transport.Conn's SendDirect:
// checked and paced as by Send, but not through the outbox.
func connectTetherDirectPublisher(b *testing.B, ctx context.Context, url, device string, qos byte) publisher {
	conn := connectPlainConn(b, ctx, url, device)
	return func(ctx context.Context, payload []byte) error {
		return conn.SendDirect(ctx, transport.Message{Topic: "telemetry", Payload: payload, QoS: qos})
	}
}

// connectPlainConn connects a transport.Conn over the plain MQTT adapter
// and closes it when b ends.
func connectPlainConn(b *testing.B, ctx context.Context, url, device string) *transport.Conn {
	conn, err := mqtt.New(mqtt.Config{Server: url, DeviceID: device})
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

// connectPahoPublisher sends with paho's Publish and a wait for its token.
func connectPahoPublisher(b *testing.B, ctx context.Context, url, device string, qos byte) publisher {
	c, err := rawpaho.Connect(ctx, rawpaho.Config{Server: url, ClientID: device})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	topic := device + "/telemetry"
	return func(ctx context.Context, payload []byte) error {
		return c.Publish(ctx, topic, payload, qos)
	}
}

// publishWarmup is how many messages a publish benchmark sends before its
// clock starts. With one, in twelve rounds of QoS 0, 64 B, in process,
// with three clients in turn (tether, paho, a bare mqttx.Client; the order
// reversed every other round), tether read 0.59-0.95 of paho when it ran
// first in its process and 0.93-1.24 when it ran last. With 1,000 what is
// left of it is within the noise: medians 0.932 first, 0.928 last (40
// rounds each), 0.951 and 0.903 (20 each) in a later run.
// A likely cause, not verified: the first benchmark's heap grows into
// memory the process has not touched yet.
const publishWarmup = 1000

// BenchmarkPublish measures publish throughput: one iteration sends one
// message, and the clock stops once the broker has received all of them.
// Sub-benchmarks of tether and paho alternate for each broker, QoS and
// payload size, so their ratio compares runs made moments apart.
func BenchmarkPublish(b *testing.B) {
	for _, kind := range brokerKinds {
		for _, qos := range []byte{0, 1} {
			for _, size := range []int{64, 4096} {
				for _, client := range clientOrder(publishClients) {
					if client.name == "tether-direct" && qos == 0 {
						continue
					}
					name := fmt.Sprintf("broker=%s/qos=%d/size=%d/client=%s", kind, qos, size, client.name)
					b.Run(name, func(b *testing.B) {
						benchmarkPublish(b, kind, qos, size, client.connect)
					})
				}
			}
		}
	}
}

func benchmarkPublish(b *testing.B, kind string, qos byte, size int, connect func(*testing.B, context.Context, string, string, byte) publisher) {
	const device = "bench-pub"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	broker := startBroker(b, kind, device+"/telemetry", qos)
	publish := connect(b, ctx, broker.url, device, qos)
	payload := bytes.Repeat([]byte{'x'}, size)
	// Untimed messages first: the connection, its buffers and the
	// process's heap are warm when the clock starts (see publishWarmup).
	for i := 0; i < publishWarmup; i++ {
		if err := publish(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	broker.waitReceived(b, publishWarmup)
	base := broker.received()

	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPUClock()
	for i := 0; i < b.N; i++ {
		if err := publish(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	broker.waitReceived(b, base+b.N)
	b.StopTimer()
	cpu.report(b)
}
