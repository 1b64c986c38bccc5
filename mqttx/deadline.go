package mqttx

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// writeDeadlineSlack is how much later than the write timeout a write may
// be cut off: the connection's write deadline is re-armed at most once per
// slack, not twice per packet.
const writeDeadlineSlack = time.Second

// deadlineConn bounds every write on a connection by a coarse deadline,
// instead of paho's precise one.
//
// paho, given a WriteTimeout, calls SetWriteDeadline twice around every
// PUBLISH it writes (now + timeout, then none), which costs two runtime
// timer updates per packet (about 6% of a QoS 0 publish's CPU). Here
// paho's calls are ignored and a Write arms a deadline timeout + slack
// away when the armed one has come closer than timeout: a timer marks it
// so slack after each arming, so a Write reads no clock (work before a
// write costs several times its CPU in throughput on a small machine, see
// BenchmarkSendChecks in transport/mqtt; BenchmarkDeadlineConnWrite: 3 ns
// a write, 27 ns with a clock read), and a connection re-arms at most
// once per slack under load and holds no running timer when idle.
//
// The trade-off: a stalled connection is detected between timeout and
// timeout + slack after the write started (paho: exactly timeout), and
// every write is bounded, PUBACK, PINGREQ and SUBSCRIBE included (paho:
// only PUBLISH), which makes the stall protection wider, not narrower: a
// PINGREQ blocked on a full socket used to hang the keepalive for good. A
// deadline set with SetDeadline (paho's CONNECT/CONNACK bound) is kept as
// it is until it is cleared.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	slack   time.Duration // writeDeadlineSlack

	// fresh says the armed deadline is at least timeout away, or that
	// SetDeadline's is in force: Write then goes straight to Conn.
	fresh    atomic.Bool
	mu       sync.Mutex  // serializes arming; guards the fields below
	explicit bool        // SetDeadline's deadline is in force
	stale    *time.Timer // clears fresh slack after an arming; made by the first
	closed   bool
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	return &deadlineConn{Conn: c, timeout: timeout, slack: writeDeadlineSlack}
}

// Write arms the deadline if it has come closer than timeout, then writes.
func (c *deadlineConn) Write(b []byte) (int, error) {
	if !c.fresh.Load() {
		c.rearm()
	}
	return c.Conn.Write(b)
}

func (c *deadlineConn) rearm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fresh.Load() || c.explicit || c.closed {
		return // re-armed meanwhile, or not ours to arm
	}
	if c.Conn.SetWriteDeadline(time.Now().Add(c.timeout+c.slack)) != nil {
		return
	}
	c.fresh.Store(true)
	if c.stale == nil {
		c.stale = time.AfterFunc(c.slack, func() { c.fresh.Store(false) })
	} else {
		c.stale.Reset(c.slack)
	}
}

// Close stops the timer and closes the connection.
func (c *deadlineConn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.stale != nil {
		c.stale.Stop()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// SetWriteDeadline is a no-op: Write keeps its own deadline (see
// deadlineConn).
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline sets both deadlines; a write deadline set this way is kept
// until SetDeadline clears it.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.explicit = !t.IsZero()
	c.fresh.Store(c.explicit) // cleared: the next Write arms its own
	if c.stale != nil {
		c.stale.Stop()
	}
	return c.Conn.SetDeadline(t)
}
