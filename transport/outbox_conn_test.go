package transport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
	"github.com/tether-iot/tether/transport/outbox"
)

// A QoS 1 Send whose ctx ends while offline returns ErrQueued (and the
// ctx's error); the message is delivered once connected.
func TestSendQueuedWhileOffline(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))

	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := c.Send(short, transport.Message{Topic: "events", Payload: []byte("offline"), QoS: 1})
	if !errors.Is(err, transport.ErrQueued) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send offline = %v, want ErrQueued and DeadlineExceeded", err)
	}
	if n := c.Queued(); n != 1 {
		t.Fatalf("Queued = %d, want 1", n)
	}
	connect(t, c)
	// The next Send returns once acknowledged, after the queued one.
	if err := c.Send(testContext(t), transport.Message{Topic: "events", Payload: []byte("online"), QoS: 1}); err != nil {
		t.Fatalf("Send online: %v", err)
	}
	got := payloads(b.Received(testDevice))
	if fmt.Sprint(got) != "[offline online]" {
		t.Errorf("broker received %q, want [offline online]", got)
	}
	waitQueued(t, c, 0) // Send returns on the PUBACK, just before the removal
}

// A Send whose ctx is already done queues nothing.
func TestSendDoneContextQueuesNothing(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Send(ctx, transport.Message{Topic: "events", QoS: 1})
	if !errors.Is(err, context.Canceled) || errors.Is(err, transport.ErrQueued) {
		t.Errorf("Send = %v, want Canceled without ErrQueued", err)
	}
	if n := c.Queued(); n != 0 {
		t.Errorf("Queued = %d, want 0", n)
	}
}

// Invalid messages fail with their typed error and are never queued.
func TestInvalidMessagesAreNotQueued(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	cfg := plainConfig(b)
	cfg.MaxPayload = 10
	c := newPlain(t, cfg)
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		msg  transport.Message
		want error
	}{
		{"wildcard", transport.Message{Topic: "events/+", QoS: 1}, transport.ErrInvalidTopic},
		{"too large", transport.Message{Topic: "events", Payload: make([]byte, 11), QoS: 1}, transport.ErrPayloadTooLarge},
		{"properties", transport.Message{Topic: "events", QoS: 1, Properties: transport.Properties{MessageID: "1"}}, transport.ErrPropertiesNotSupported},
		{"QoS 2", transport.Message{Topic: "events", QoS: 2}, transport.ErrQoSNotSupported},
	} {
		if err := c.Send(ctx, tc.msg); !errors.Is(err, tc.want) {
			t.Errorf("%s: Send = %v, want %v", tc.name, err, tc.want)
		}
		if err := c.Enqueue(tc.msg); !errors.Is(err, tc.want) {
			t.Errorf("%s: Enqueue = %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := c.Queued(); n != 0 {
		t.Errorf("Queued = %d, want 0", n)
	}
}

// Enqueue returns at once; the messages are delivered in order once
// connected.
func TestEnqueueDeliversInOrder(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	for i := range 5 {
		if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte(fmt.Sprint(i)), QoS: 1}); err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	connect(t, c)
	waitQueued(t, c, 0)
	if got := payloads(b.Received(testDevice)); fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("broker received %q, want [0 1 2 3 4]", got)
	}
}

// Offline QoS 0 follows outbox.QoS0Policy.
func TestQoS0WhileOffline(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		b := mqttxtest.NewBroker(t)
		drops := &dropLog{}
		cfg := plainConfig(b)
		cfg.Outbox.OnDrop = drops.onDrop
		c := newPlain(t, cfg)
		err := c.Send(testContext(t), transport.Message{Topic: "events", Payload: []byte("q0")})
		if !errors.Is(err, mqttx.ErrNotConnected) || !errors.Is(err, outbox.ErrOffline) {
			t.Errorf("Send = %v, want ErrNotConnected and ErrOffline", err)
		}
		if got := drops.reasons(); len(got) != 1 || !errors.Is(got[0], outbox.ErrOffline) {
			t.Errorf("OnDrop saw %v, want one ErrOffline", got)
		}
	})
	t.Run("queue", func(t *testing.T) {
		b := mqttxtest.NewBroker(t)
		cfg := plainConfig(b)
		cfg.Outbox.QoS0 = outbox.QoS0Queue
		c := newPlain(t, cfg)
		if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte("q0")}); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		connect(t, c)
		waitQueued(t, c, 0) // written: the broker may not have read it yet
		waitReceived(t, b, 1)
		if got := b.Received(testDevice); len(got) != 1 || got[0].QoS != 0 || string(got[0].Payload) != "q0" {
			t.Errorf("broker received %+v, want q0 at QoS 0", got)
		}
	})
}

// Raw publishes do not go through the outbox.
func TestPublishRawBypassesOutbox(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c := newPlain(t, plainConfig(b))
	err := c.PublishRaw(testContext(t), "$aws/things/dev1/shadow/get", nil, 1)
	if !errors.Is(err, mqttx.ErrNotConnected) {
		t.Errorf("PublishRaw offline = %v, want ErrNotConnected", err)
	}
	if n := c.Queued(); n != 0 {
		t.Errorf("Queued = %d, want 0", n)
	}
}

// A Send fails with the reason its message was dropped for.
func TestSendReportsDrop(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	drops := &dropLog{}
	cfg := plainConfig(b)
	cfg.Outbox.MaxMessages = 1
	cfg.Outbox.OnDrop = drops.onDrop
	c := newPlain(t, cfg)

	ctx := testContext(t)
	first := make(chan error, 1)
	go func() { first <- c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("old"), QoS: 1}) }()
	waitQueued(t, c, 1)
	if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte("new"), QoS: 1}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	select {
	case err := <-first:
		if !errors.Is(err, outbox.ErrFull) {
			t.Errorf("Send of the dropped message = %v, want ErrFull", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the Send of the dropped message did not return")
	}
	if got := drops.reasons(); len(got) != 1 || !errors.Is(got[0], outbox.ErrFull) {
		t.Errorf("OnDrop saw %v, want one ErrFull", got)
	}
}

// A record stored by an earlier process under a larger limit is
// dead-lettered at once (LimitError is permanent), and the next is sent.
func TestStoredRecordBreakingLimitIsDeadLettered(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c, dead := reopenUnderSmallerLimit(t, b, "0123456789abcdef", "ok")
	if n := c.Queued(); n != 2 {
		t.Fatalf("Queued after reopening = %d, want 2", n)
	}
	connect(t, c)
	waitQueued(t, c, 0)
	if got := payloads(b.Received(testDevice)); fmt.Sprint(got) != "[ok]" {
		t.Errorf("broker received %q, want [ok]", got)
	}
	got := dead.reasons()
	var de *outbox.DeadLetterError
	if len(got) != 1 || !errors.As(got[0], &de) || !errors.Is(got[0], transport.ErrPayloadTooLarge) {
		t.Errorf("OnDeadLetter saw %v, want one DeadLetterError with ErrPayloadTooLarge", got)
	}
}

// Records this process put are not checked again before sending, but a
// stored record still is, even behind them in Seq order.
func TestStoredRecordCheckedAfterNewPuts(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	c, dead := reopenUnderSmallerLimit(t, b, "0123456789abcdef")
	for _, p := range []string{"new1", "new2"} {
		if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte(p), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	connect(t, c)
	waitQueued(t, c, 0)
	if got := payloads(b.Received(testDevice)); fmt.Sprint(got) != "[new1 new2]" {
		t.Errorf("broker received %q, want [new1 new2]", got)
	}
	if got := dead.reasons(); len(got) != 1 || !errors.Is(got[0], transport.ErrPayloadTooLarge) {
		t.Errorf("OnDeadLetter saw %v, want one ErrPayloadTooLarge", got)
	}
}

func TestTransportErrorsArePermanent(t *testing.T) {
	for _, err := range []error{
		&transport.LimitError{Kind: transport.ErrPayloadTooLarge},
		fmt.Errorf("wrapped: %w", &transport.ConfigError{Setting: "X", Reason: "bad"}),
	} {
		if !outbox.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false, want true", err)
		}
	}
}

// Close ends the Sends still waiting: with a durable outbox the message
// stays queued for the next process (ErrQueued); an in-memory outbox
// drops it (outbox.ErrClosed).
func TestCloseEndsWaitingSends(t *testing.T) {
	for _, durable := range []bool{true, false} {
		t.Run(fmt.Sprintf("durable=%v", durable), func(t *testing.T) {
			leakcheck.Check(t)
			b := mqttxtest.NewBroker(t)
			cfg := plainConfig(b)
			if durable {
				cfg.Outbox.Dir = t.TempDir()
			}
			cfg.Outbox.OnDrop = func(outbox.Record, error) {}
			c, err := mqtt.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := make(chan error, 1)
			go func() { res <- c.Send(context.Background(), transport.Message{Topic: "events", QoS: 1}) }()
			waitQueued(t, c, 1)
			closeConn(t, c)
			err = <-res
			if durable && (!errors.Is(err, transport.ErrQueued) || !errors.Is(err, outbox.ErrClosed)) {
				t.Errorf("Send = %v, want ErrQueued and outbox.ErrClosed", err)
			}
			if !durable && (errors.Is(err, transport.ErrQueued) || !errors.Is(err, outbox.ErrClosed)) {
				t.Errorf("Send = %v, want outbox.ErrClosed without ErrQueued", err)
			}
			if err := c.Send(context.Background(), transport.Message{Topic: "events", QoS: 1}); !errors.Is(err, mqttx.ErrClosed) {
				t.Errorf("Send after Close = %v, want mqttx.ErrClosed", err)
			}
			if durable {
				c2 := newPlain(t, cfg)
				if n := c2.Queued(); n != 1 {
					t.Errorf("the next Conn on the directory holds %d messages, want 1", n)
				}
			}
		})
	}
}

// A connection drop while a message waits for its PUBACK: it is sent
// again after reconnecting (at least once), and Send returns nil.
func TestSendSurvivesDropWithoutAck(t *testing.T) {
	leakcheck.Check(t)
	b := mqttxtest.NewBroker(t)
	c := connectPlain(t, plainConfig(b))
	events := newEventLog()
	c.Watch(events.watch)
	b.WithholdAcks(testDevice, true)
	ctx := testContext(t)
	res := make(chan error, 1)
	go func() { res <- c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("x"), QoS: 1}) }()
	waitReceived(t, b, 1)
	b.WithholdAcks(testDevice, false)
	b.Disconnect(testDevice)
	if err := <-res; err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
	events.waitFor(t, transport.EventConnectionLost)
	got := b.Received(testDevice)
	if len(got) != 2 || string(got[0].Payload) != "x" || string(got[1].Payload) != "x" {
		t.Errorf("broker received %+v, want x twice", got)
	}
}

// reopenUnderSmallerLimit has a first process store payloads (QoS 1, in a
// durable outbox, never connected), then opens that outbox again in a Conn
// whose MaxPayload is 10 bytes, as a process restarted under a smaller
// limit. The dropLog records what is dead-lettered.
func reopenUnderSmallerLimit(t *testing.T, b *mqttxtest.Broker, payloads ...string) (*transport.Conn, *dropLog) {
	t.Helper()
	cfg := plainConfig(b)
	cfg.Outbox.Dir = t.TempDir()
	first, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		if err := first.Enqueue(transport.Message{Topic: "events", Payload: []byte(p), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	closeConn(t, first)

	dead := &dropLog{}
	cfg.MaxPayload = 10
	cfg.Outbox.OnDeadLetter = dead.onDrop
	cfg.Outbox.OnDrop = func(outbox.Record, error) {}
	return newPlain(t, cfg), dead
}

// --- helpers shared with reliability_test.go ---

func payloads(ms []mqttxtest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Payload)
	}
	return out
}

// waitQueued waits until c's outbox holds n messages.
func waitQueued(t *testing.T, c *transport.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for c.Queued() != n {
		if time.Now().After(deadline) {
			t.Fatalf("outbox holds %d messages, want %d", c.Queued(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitReceived waits until the broker has received n messages from the
// test device.
func waitReceived(t *testing.T, b *mqttxtest.Broker, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for len(b.Received(testDevice)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("broker received %d messages, want %d", len(b.Received(testDevice)), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// dropLog records the reasons given to an outbox callback.
type dropLog struct {
	mu   sync.Mutex
	errs []error
}

func (d *dropLog) onDrop(_ outbox.Record, reason error) {
	d.mu.Lock()
	d.errs = append(d.errs, reason)
	d.mu.Unlock()
}

func (d *dropLog) reasons() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}
