package mqttx_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// stallConn is a connection whose writes, once stalled, block until the
// write deadline, as on a socket whose peer stopped reading.
type stallConn struct {
	net.Conn
	stalled   *atomic.Bool
	mu        sync.Mutex
	deadline  time.Time // the write deadline
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *stallConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *stallConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *stallConn) Write(b []byte) (int, error) {
	if !c.stalled.Load() {
		return c.Conn.Write(b)
	}
	c.mu.Lock()
	d := c.deadline
	c.mu.Unlock()
	var expired <-chan time.Time // nil without a deadline: blocks until Close
	if !d.IsZero() {
		t := time.NewTimer(time.Until(d))
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-expired:
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *stallConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// Publishes caught by a stalled connection, with the network gone (no
// reconnect possible), all return within the write timeout and a margin,
// whatever their ctx: paho's hand-off to its writer ignores ctx, so
// mqttx's bound on every write is what ends them.
func TestPublishesOnAStalledConnectionEndWithinTheWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s write timeout")
	}
	b := mqttxtest.NewBroker(t)
	var stalled atomic.Bool
	opts := testOptions(t, "")
	opts.Dial = func(ctx context.Context) (net.Conn, error) {
		if stalled.Load() {
			return nil, errors.New("network down")
		}
		conn, err := b.DialPipe(ctx)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: conn, stalled: &stalled, closed: make(chan struct{})}, nil
	}
	c := newClient(t, opts)
	connect(t, c)
	ctx := timeoutCtx(t, time.Minute) // longer than any bound in play
	if err := c.Publish(ctx, "s/warm", []byte("x"), 1, false); err != nil {
		t.Fatal(err)
	}

	stalled.Store(true)
	const publishes = 6
	start := time.Now()
	took := make(chan time.Duration, publishes)
	for i := 0; i < publishes; i++ {
		go func() {
			err := c.Publish(ctx, "s/stalled", []byte("x"), byte(i%2), false)
			if err == nil {
				t.Error("a publish on a stalled connection succeeded")
			}
			took <- time.Since(start)
		}()
	}
	// The write timeout is 10 s, armed at most 1 s ahead of need; the
	// margin covers the loss's handling. paho's own hand-off timer would
	// end a publish stuck in it after 10 s (30 s without a WriteTimeout).
	const bound = 10*time.Second + time.Second + 3*time.Second
	var longest time.Duration
	for i := 0; i < publishes; i++ {
		d := <-took
		longest = max(longest, d)
	}
	t.Logf("%d publishes on a stalled connection ended within %v", publishes, longest.Round(time.Millisecond))
	if longest > bound {
		t.Fatalf("a publish on a stalled connection took %v, want at most %v", longest, bound)
	}
}
