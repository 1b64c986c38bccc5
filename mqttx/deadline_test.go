package mqttx

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the write deadlines set on it.
type countingConn struct {
	net.Conn
	set atomic.Int32
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.set.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

// pipe returns a deadlineConn over one end of a net.Pipe and the other
// end, drained in the background unless stalled.
func pipe(t *testing.T, timeout, slack time.Duration, stalled bool) (*deadlineConn, *countingConn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	if !stalled {
		go io.Copy(io.Discard, b)
	}
	cc := &countingConn{Conn: a}
	dc := newDeadlineConn(cc, timeout)
	dc.slack = slack
	return dc, cc
}

func TestDeadlineConnRearmsAtMostOncePerSlack(t *testing.T) {
	dc, cc := pipe(t, time.Hour, time.Hour, false)
	for i := 0; i < 1000; i++ {
		// What paho does around every PUBLISH: ignored.
		if err := dc.SetWriteDeadline(time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := dc.Write([]byte("x")); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if err := dc.SetWriteDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cc.set.Load(); n != 1 {
		t.Fatalf("SetWriteDeadline called %d times on the connection for 1000 writes, want 1", n)
	}
}

func TestDeadlineConnBoundsAStalledWrite(t *testing.T) {
	const timeout, slack = 50 * time.Millisecond, 20 * time.Millisecond
	dc, _ := pipe(t, timeout, slack, true)
	start := time.Now()
	_, err := dc.Write([]byte("x"))
	took := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("stalled write: %v, want a deadline error", err)
	}
	if took < timeout {
		t.Fatalf("stalled write failed after %v, before the timeout %v", took, timeout)
	}
}

func TestDeadlineConnRearmsAfterIdle(t *testing.T) {
	const timeout, slack = 30 * time.Millisecond, 10 * time.Millisecond
	dc, cc := pipe(t, timeout, slack, false)
	if _, err := dc.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * (timeout + slack)) // the armed deadline is now in the past
	if _, err := dc.Write([]byte("x")); err != nil {
		t.Fatalf("write after an idle period: %v", err)
	}
	if n := cc.set.Load(); n != 2 {
		t.Fatalf("SetWriteDeadline called %d times, want 2", n)
	}
}

func TestDeadlineConnKeepsAnExplicitDeadline(t *testing.T) {
	dc, cc := pipe(t, time.Hour, time.Hour, true)
	if err := dc.SetDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := dc.Write([]byte("x"))
	if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("write under SetDeadline: %v after %v, want a deadline error within it", err, time.Since(start))
	}
	if n := cc.set.Load(); n != 0 {
		t.Fatalf("the explicit deadline was replaced (%d SetWriteDeadline calls)", n)
	}
	if err := dc.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	dc.mu.Lock()
	explicit, fresh := dc.explicit, dc.fresh.Load()
	dc.mu.Unlock()
	if explicit || fresh {
		t.Fatal("clearing the explicit deadline did not let Write arm its own")
	}
}

// discardConn accepts every write at once.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error)      { return len(b), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) Close() error                     { return nil }

// BenchmarkDeadlineConnWrite measures what the wrapper adds to a write.
func BenchmarkDeadlineConnWrite(b *testing.B) {
	dc := newDeadlineConn(discardConn{}, time.Minute)
	defer dc.Close()
	p := make([]byte, 64)
	for b.Loop() {
		_, _ = dc.Write(p)
	}
}
