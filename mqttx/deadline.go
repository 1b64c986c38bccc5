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
// paho's calls are ignored and each Write itself makes sure a deadline at
// least timeout and at most timeout + slack away is armed, re-arming it
// only when it has come closer than timeout: at most once per slack under
// load, and a single time.Now per write otherwise.
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
	base    time.Time     // the monotonic origin of armed

	// armed is the write deadline set on Conn, as an offset from base;
	// math.MaxInt64 while an explicit SetDeadline is in force.
	armed atomic.Int64
	mu    sync.Mutex // serializes re-arming
}

// explicitDeadline marks armed while SetDeadline's deadline is in force.
const explicitDeadline = int64(^uint64(0) >> 1)

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	return &deadlineConn{Conn: c, timeout: timeout, slack: writeDeadlineSlack, base: time.Now()}
}

// Write arms the deadline if it has come closer than timeout, then writes.
func (c *deadlineConn) Write(b []byte) (int, error) {
	now := int64(time.Since(c.base))
	if c.armed.Load()-now < int64(c.timeout) {
		c.rearm()
	}
	return c.Conn.Write(b)
}

func (c *deadlineConn) rearm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Since(c.base)
	if c.armed.Load()-int64(now) >= int64(c.timeout) {
		return // re-armed meanwhile
	}
	d := now + c.timeout + c.slack
	if c.Conn.SetWriteDeadline(c.base.Add(d)) == nil {
		c.armed.Store(int64(d))
	}
}

// SetWriteDeadline is a no-op: Write keeps its own deadline (see
// deadlineConn).
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline sets both deadlines; a write deadline set this way is kept
// until SetDeadline clears it.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		c.armed.Store(0) // the next Write arms its own
	} else {
		c.armed.Store(explicitDeadline)
	}
	return c.Conn.SetDeadline(t)
}
