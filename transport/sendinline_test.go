package transport_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
)

// A connected Send with nothing queued publishes from its own goroutine.
// When its ctx ends before the PUBACK, it returns ErrQueued and the
// message is still sent exactly once: the wait is handed over, the
// message is neither abandoned nor published a second time.
func TestSendContextEndingDuringAckSendsOnce(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	b.DelayAcks(300 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("a"), QoS: 1})
	if !errors.Is(err, transport.ErrQueued) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want ErrQueued and DeadlineExceeded", err)
	}
	if n := c.Queued(); n != 1 {
		t.Fatalf("Queued = %d while the PUBACK is awaited, want 1", n)
	}
	waitQueued(t, c, 0) // the PUBACK arrived: acknowledged, removed
	time.Sleep(100 * time.Millisecond)
	if got := payloads(b.Received(testDevice)); len(got) != 1 || got[0] != "a" {
		t.Fatalf("broker received %q, want a once", got)
	}
}

// Messages put while a Send publishes its own message follow it, in order,
// each once.
func TestSendsDuringAnInlineSendFollowInOrder(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	b.DelayAcks(100 * time.Millisecond)

	ctx := testContext(t)
	first := make(chan error, 1)
	go func() { first <- c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("a"), QoS: 1}) }()
	waitReceived(t, b, 1) // "a" is on the wire, its PUBACK delayed
	for _, p := range []string{"b", "c", "d"} {
		if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte(p), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(b.Received(testDevice)); got != 1 {
		t.Fatalf("broker received %d messages before the first was acknowledged, want 1", got)
	}
	if err := <-first; err != nil {
		t.Fatalf("first Send = %v", err)
	}
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("e"), QoS: 1}); err != nil {
		t.Fatalf("last Send = %v", err)
	}
	got := payloads(b.Received(testDevice))
	want := []string{"a", "b", "c", "d", "e"}
	if len(got) != len(want) {
		t.Fatalf("broker received %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("broker received %q, want %q", got, want)
		}
	}
}

// A Send publishing its own QoS 1 message is paced like the sender: it
// publishes at once only while the rate limits allow it, and leaves the
// rest to the sender, which waits for its turn.
func TestQoS1SendsArePaced(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.PublishRate = 50 // burst 5
	c := connectPlain(t, cfg)
	ctx := testContext(t)

	start := time.Now()
	for i := range 20 {
		if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte(fmt.Sprint(i)), QoS: 1}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Errorf("20 QoS 1 sends at 50/s took %v, want >= ~300ms", elapsed)
	}
	got := payloads(b.Received(testDevice))
	if len(got) != 20 {
		t.Fatalf("broker received %d messages, want 20", len(got))
	}
	for i, p := range got {
		if p != fmt.Sprint(i) {
			t.Fatalf("broker received %q, want 0..19 in order", got)
		}
	}
}

// senderRunning reports whether the outbox's sender goroutine exists.
func senderRunning() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Contains(string(buf), "transport.(*Conn).drainOutbox")
}

// A connected device sending one QoS 1 message at a time never starts the
// sender goroutine: each Send publishes its own message.
func TestSequentialSendsStartNoSender(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	ctx := testContext(t)
	for i := range 20 {
		if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte(fmt.Sprint(i)), QoS: 1}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if senderRunning() {
			t.Fatalf("after Send %d the sender goroutine runs", i)
		}
	}
	if got := len(b.Received(testDevice)); got != 20 {
		t.Fatalf("broker received %d messages, want 20", got)
	}
}

// A Send publishing its own message whose connection drops before the
// PUBACK does not return: the message stays queued, the sender resends it
// on the next connection, and the Send returns nil once it is
// acknowledged there.
func TestInlineSendLostConnectionWaitsForResend(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	b.WithholdAcks(testDevice, true)

	ctx := testContext(t)
	sent := make(chan error, 1)
	go func() { sent <- c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("a"), QoS: 1}) }()
	waitReceived(t, b, 1) // on the wire, its PUBACK withheld
	b.WithholdAcks(testDevice, false)
	if !b.Disconnect(testDevice) {
		t.Fatal("the broker did not know the device")
	}
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("Send = %v, want nil after the resend", err)
		}
	case <-ctx.Done():
		t.Fatal("Send did not return after the reconnect")
	}
	if got := payloads(b.Received(testDevice)); len(got) != 2 || got[0] != "a" || got[1] != "a" {
		t.Fatalf("broker received %q, want a twice (first copy unacknowledged, then the resend)", got)
	}
	if n := c.Queued(); n != 0 {
		t.Fatalf("Queued = %d after the acknowledgement, want 0", n)
	}
}

// A Send that returned ErrQueued while its message was in flight lets the
// caller reuse the payload's buffer at once: the message on the wire and
// the one replayed after a reconnect are what was sent, not what the
// buffer holds afterwards.
func TestInlineSendQueuedMessageSurvivesBufferReuse(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	b.WithholdAcks(testDevice, true)

	buf := []byte("original")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: buf, QoS: 1}); !errors.Is(err, transport.ErrQueued) {
		t.Fatalf("Send = %v, want ErrQueued", err)
	}
	copy(buf, "REUSED!!")
	waitReceived(t, b, 1)
	b.WithholdAcks(testDevice, false)
	if !b.Disconnect(testDevice) {
		t.Fatal("the broker did not know the device")
	}
	waitQueued(t, c, 0) // replayed and acknowledged on the next connection
	if got := payloads(b.Received(testDevice)); len(got) != 2 || got[0] != "original" || got[1] != "original" {
		t.Fatalf("broker received %q, want original twice (the first unacknowledged, then the replay)", got)
	}
}

// The copies connected QoS 1 Sends make of payloads of pooled sizes are
// reused once acknowledged, by any Conn of the process: every message
// arrives as it was sent, from devices sending at once, each reusing one
// buffer, and nothing acknowledged comes back on the next connection of a
// persistent session (where paho resends what its store still holds).
func TestInlineSendPooledCopiesArriveIntact(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	ctx := testContext(t)
	const devices, perConnection = 4, 40
	var wg sync.WaitGroup
	for d := range devices {
		cfg := plainConfig(b)
		cfg.DeviceID = fmt.Sprintf("pooled-%d", d)
		cfg.PersistentSession = true
		c := connectPlain(t, cfg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sendPooledSizes(ctx, b, c, cfg.DeviceID, d, perConnection); err != nil {
				t.Errorf("%s: %v", cfg.DeviceID, err)
			}
		}()
	}
	wg.Wait()
}

// sendPooledSizes sends n messages of pooled sizes from one reused buffer,
// has the broker drop the connection, sends n more once reconnected, and
// checks what the broker received from device.
func sendPooledSizes(ctx context.Context, b *mqttxtest.Broker, c *transport.Conn, device string, seed, n int) error {
	buf := make([]byte, 20000)
	var want []string
	send := func(i int) error {
		p := buf[:[]int{1024, 4096, 20000}[i%3]]
		for j := range p {
			p[j] = byte('A' + (seed*7+i+j)%26)
		}
		if err := c.Send(ctx, transport.Message{Topic: "events", Payload: p, QoS: 1}); err != nil {
			return fmt.Errorf("Send %d: %w", i, err)
		}
		want = append(want, string(p))
		return nil
	}
	for i := range n {
		if err := send(i); err != nil {
			return err
		}
	}
	// Nothing is in flight: every Send returned once acknowledged.
	reconnected := make(chan struct{}, 1)
	stop := c.Watch(func(e transport.Event) {
		if e.Kind == transport.EventConnected {
			select {
			case reconnected <- struct{}{}:
			default:
			}
		}
	})
	defer stop()
	if !b.Disconnect(device) {
		return errors.New("the broker did not know the device")
	}
	select {
	case <-reconnected:
	case <-ctx.Done():
		return errors.New("no reconnect")
	}
	for i := n; i < 2*n; i++ {
		if err := send(i); err != nil {
			return err
		}
	}
	got := payloads(b.Received(device))
	if len(got) != len(want) {
		return fmt.Errorf("broker received %d messages, want %d (acknowledged ones came back?)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			return fmt.Errorf("message %d arrived as %.20q... (%d bytes), want %.20q... (%d bytes)", i, got[i], len(got[i]), want[i], len(want[i]))
		}
	}
	return nil
}
