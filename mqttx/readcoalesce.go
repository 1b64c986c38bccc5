package mqttx

import (
	"net"
	"sync"
)

// readChunk is the size of the pooled buffers coalescingConn reads into:
// a typical MQTT packet's rest after its first byte, or several small
// packets arriving together.
const readChunk = 1024

// readBuffers holds coalescingConn's buffers. They are shared by every
// connection of the process, like net/http's: a gateway with 1,000 leaf
// connections holds a buffer only for those reading a packet right now.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

// coalescingConn reads a packet's rest in one system call.
//
// paho reads a packet from the connection in three or four reads: its
// first byte, each byte of the remaining length, then the body, each a
// system call on a TCP connection (about 2.7 us each on the 2-CPU VM of
// the benchmarks). Here a read at the start of a packet goes to the
// connection as it is (it is the one that blocks while the connection is
// idle, and it holds no buffer then); a read inside a packet reads
// whatever has arrived into a pooled buffer, which serves paho's following
// reads and goes back to the pool once empty: two system calls per
// packet, fewer for packets that arrive together, and no buffer held by
// an idle connection. The packet boundaries come from MQTT's framing,
// followed over the bytes handed to paho (frame).
//
// Only paho's reader goroutine reads a connection, so the buffer needs no
// lock.
type coalescingConn struct {
	net.Conn
	buf   *[]byte // pooled; nil when nothing is buffered
	r, w  int     // unread bytes are (*buf)[r:w]
	frame frame
}

func newCoalescingConn(c net.Conn) *coalescingConn { return &coalescingConn{Conn: c} }

// Read serves p from the buffer, or reads from the connection.
func (c *coalescingConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.buf == nil {
		if c.frame.atStart() || len(p) >= readChunk {
			n, err := c.Conn.Read(p)
			c.frame.advance(p[:n])
			return n, err
		}
		b := readBuffers.Get().(*[]byte)
		n, err := c.Conn.Read(*b)
		if n == 0 {
			readBuffers.Put(b)
			return 0, err
		}
		// An error that came with bytes is reported by the connection
		// again on a later read, once the buffered bytes are served.
		c.buf, c.r, c.w = b, 0, n
	}
	n := copy(p, (*c.buf)[c.r:c.w])
	c.frame.advance(p[:n])
	c.r += n
	if c.r == c.w {
		readBuffers.Put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
	return n, nil
}

// frame follows MQTT's framing over a stream of bytes: a fixed header
// byte, a remaining length of one to four bytes, and that many bytes.
type frame struct {
	state  byte // 0: at a packet's first byte, 1: in its remaining length, 2: in its body
	digits byte // remaining-length bytes read
	left   int  // remaining length, then body bytes left
	mult   int
}

func (f *frame) atStart() bool { return f.state == 0 }

// advance moves over b, the next bytes of the stream. A malformed length
// (a fifth length byte) is taken as its end: paho fails the connection
// on it anyway.
func (f *frame) advance(b []byte) {
	for len(b) > 0 {
		switch f.state {
		case 0:
			f.state, f.digits, f.left, f.mult = 1, 0, 0, 1
			b = b[1:]
		case 1:
			d := b[0]
			b = b[1:]
			f.left += int(d&0x7f) * f.mult
			f.mult *= 128
			f.digits++
			if d&0x80 == 0 || f.digits == 4 {
				f.state = 2
			}
		}
		if f.state == 2 {
			n := min(f.left, len(b))
			f.left -= n
			b = b[n:]
			if f.left == 0 {
				f.state = 0
			}
		}
	}
}
