package benchmark_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/rawpaho"
	"github.com/tether-iot/tether/internal/mosquittotest"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// drainTimeout bounds the wait for the broker to receive what a benchmark
// sent.
const drainTimeout = time.Minute

// brokerKinds are the brokers the network benchmarks run on.
var brokerKinds = []string{"mqttxtest", "mosquitto"}

// benchBroker is a broker for one benchmark run, with a count of the
// messages published on the measured topic that reached it.
type benchBroker struct {
	url      string
	received func() int
}

// startBroker starts a broker of the given kind for b. On mosquitto (which
// has no counters to read) a raw paho subscriber on topic counts the
// messages; it costs both sides of a comparison the same. Without
// mosquitto installed, b is skipped.
func startBroker(b *testing.B, kind, topic string, qos byte) *benchBroker {
	b.Helper()
	switch kind {
	case "mqttxtest":
		// Received off: a fake broker that kept every message would make the
		// garbage collector's work grow through the run, which no real
		// broker does to its clients.
		broker := mqttxtest.NewBroker(b, mqttxtest.WithReceivedLimit(0))
		return &benchBroker{url: broker.URL(), received: func() int { return broker.Stats().MessagesIn }}
	case "mosquitto":
		broker := mosquittotest.Start(b, mosquittotest.Config{Extra: "max_queued_messages 0\nmax_inflight_messages 0"})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		counter, err := rawpaho.Connect(ctx, rawpaho.Config{Server: broker.URL, ClientID: "bench-counter"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(counter.Close)
		var n atomic.Int64
		if err := counter.Subscribe(ctx, topic, qos, func(string, []byte) { n.Add(1) }); err != nil {
			b.Fatal(err)
		}
		return &benchBroker{url: broker.URL, received: func() int { return int(n.Load()) }}
	}
	b.Fatalf("unknown broker %q", kind)
	return nil
}

// waitReceived waits until the broker has received want messages.
func (bb *benchBroker) waitReceived(b *testing.B, want int) {
	deadline := time.Now().Add(drainTimeout)
	for bb.received() < want {
		if time.Now().After(deadline) {
			b.Fatalf("the broker received %d messages of %d within %v", bb.received(), want, drainTimeout)
		}
		time.Sleep(20 * time.Microsecond)
	}
}
