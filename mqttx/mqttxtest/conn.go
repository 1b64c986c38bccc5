package mqttxtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Reasons a connection ends; they only reach the log.
var (
	errProtocol         = errors.New("mqttxtest: protocol violation")
	errPacketTooLarge   = errors.New("mqttxtest: packet too large")
	errClientDisconnect = errors.New("mqttxtest: client sent DISCONNECT")
	errRefused          = errors.New("mqttxtest: CONNECT refused")
	errTakeover         = errors.New("mqttxtest: client id taken over by a new connection")
	errNotAuthorized    = errors.New("mqttxtest: authorizer disconnected the client")
	errQoS2             = errors.New("mqttxtest: QoS 2 not supported")
	errFault            = errors.New("mqttxtest: fault injected")
)

// conn is one network connection. Its reader goroutine (run) reads and handles packets; its writer
// goroutine (writeLoop) is the only one writing to the network, so packets never interleave.
type conn struct {
	b         *Broker
	nc        net.Conn  // read and written
	raw       io.Closer // closed to end the connection (the TCP connection under TLS)
	kind      string    // tcp, tls, ws, wss, pipe
	peerCerts []*x509.Certificate

	done      chan struct{} // closed by close
	wdone     chan struct{} // closed when the writer goroutine ends
	closeOnce sync.Once

	qmu      sync.Mutex
	queue    []packets.ControlPacket // nil entry: close the connection
	wake     chan struct{}           // capacity 1: the queue is not empty
	stopped  bool                    // no more writes: enqueue discards
	delayed  []delayedPacket
	delayTmr *time.Timer

	fmu    sync.Mutex
	budget int // packets left before a fault closes the connection; -1: unlimited

	// Guarded by b.mu. clientID, sess and keepAlive are written once by the reader before they are used.
	clientID  string
	sess      *session
	will      *Message
	connected bool // CONNACK 0 queued
	gone      bool // dropped from the broker
}

type delayedPacket struct {
	due time.Time
	pkt packets.ControlPacket
}

func newConn(b *Broker, nc net.Conn, raw io.Closer, kind string, peerCerts []*x509.Certificate) *conn {
	return &conn{
		b:         b,
		nc:        nc,
		raw:       raw,
		kind:      kind,
		peerCerts: peerCerts,
		done:      make(chan struct{}),
		wdone:     make(chan struct{}),
		wake:      make(chan struct{}, 1),
		budget:    -1,
	}
}

// close ends the network connection; the broker state is updated by Broker.drop.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.raw.Close()
		c.qmu.Lock()
		c.stopped = true
		c.queue = nil
		if c.delayTmr != nil {
			c.delayTmr.Stop()
		}
		c.delayed = nil
		c.qmu.Unlock()
	})
}

// run is the reader goroutine.
func (c *conn) run() {
	defer c.b.wg.Done()
	err := c.serve()
	// A client's DISCONNECT discards its will; any other end publishes it.
	c.b.drop(c, !errors.Is(err, errClientDisconnect), err)
}

func (c *conn) serve() error {
	deadline := time.Now().Add(DefaultConnectTimeout)
	if tc, ok := c.nc.(*tls.Conn); ok {
		_ = tc.SetDeadline(deadline)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("mqttxtest: TLS handshake: %w", err)
		}
		c.peerCerts = tc.ConnectionState().PeerCertificates
		_ = tc.SetDeadline(time.Time{})
	}
	br := bufio.NewReader(c.nc)
	_ = c.nc.SetReadDeadline(deadline)
	pkt, err := c.readPacket(br)
	if err != nil {
		return err
	}
	cp, ok := pkt.(*packets.ConnectPacket)
	if !ok {
		return fmt.Errorf("%w: first packet is %s", errProtocol, packetName(pkt))
	}
	if err := c.handleConnect(cp); err != nil {
		return err
	}
	timeout := time.Duration(float64(cp.Keepalive) * c.b.cfg.keepAliveFactor * float64(time.Second))
	for {
		next := time.Time{}
		if timeout > 0 {
			next = time.Now().Add(timeout)
		}
		_ = c.nc.SetReadDeadline(next)
		pkt, err := c.readPacket(br)
		if err != nil {
			return err
		}
		ok, last := c.claim()
		if !ok {
			return errFault
		}
		if err := c.handle(pkt); err != nil {
			return err
		}
		if last {
			return errFault
		}
	}
}

// readPacket reads one packet with paho's codec after checking its size, so that a hostile length does
// not make paho allocate it.
func (c *conn) readPacket(br *bufio.Reader) (packets.ControlPacket, error) {
	n, err := peekRemainingLength(br)
	if err != nil {
		return nil, err
	}
	if n > c.b.cfg.maxPacketSize {
		return nil, fmt.Errorf("%w: %d bytes", errPacketTooLarge, n)
	}
	pkt, err := packets.ReadPacket(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errProtocol, err)
	}
	c.b.packetsIn.Add(1)
	return pkt, nil
}

// peekRemainingLength returns the remaining length in the fixed header at the head of br without
// consuming it.
func peekRemainingLength(br *bufio.Reader) (int, error) {
	n, mult := 0, 1
	for i := 1; i <= 4; i++ {
		h, err := br.Peek(i + 1)
		if err != nil {
			return 0, err
		}
		d := h[i]
		n += int(d&0x7f) * mult
		if d&0x80 == 0 {
			return n, nil
		}
		mult *= 128
	}
	return 0, fmt.Errorf("%w: malformed remaining length", errProtocol)
}

// claim accounts for one packet in either direction against the injected faults. ok is false when the
// connection must close before the packet; last is true when it must close right after it.
func (c *conn) claim() (ok, last bool) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	if c.budget == 0 {
		return false, false
	}
	if c.budget > 0 {
		c.budget--
		last = c.budget == 0
	}
	if !last && c.b.randomDrop() {
		c.budget, last = 0, true
	}
	return true, last
}

// setBudget makes the connection close after n more packets.
func (c *conn) setBudget(n int) {
	c.fmu.Lock()
	c.budget = n
	c.fmu.Unlock()
}

// enqueue queues pkt for the writer. It never blocks.
func (c *conn) enqueue(pkt packets.ControlPacket) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.enqueueLocked(pkt)
}

func (c *conn) enqueueLocked(pkt packets.ControlPacket) {
	if c.stopped {
		return
	}
	c.queue = append(c.queue, pkt)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueueAfter queues pkt after d, keeping such packets in order.
func (c *conn) enqueueAfter(d time.Duration, pkt packets.ControlPacket) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.stopped {
		return
	}
	c.delayed = append(c.delayed, delayedPacket{due: time.Now().Add(d), pkt: pkt})
	if len(c.delayed) == 1 {
		c.delayTmr = time.AfterFunc(d, c.releaseDelayed)
	}
}

func (c *conn) releaseDelayed() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	now := time.Now()
	for len(c.delayed) > 0 && !c.delayed[0].due.After(now) {
		c.enqueueLocked(c.delayed[0].pkt)
		c.delayed = c.delayed[1:]
	}
	if len(c.delayed) > 0 && !c.stopped {
		c.delayTmr = time.AfterFunc(c.delayed[0].due.Sub(now), c.releaseDelayed)
	}
}

// closeAfterQueued closes the connection once the writer has written the packets queued so far.
func (c *conn) closeAfterQueued() {
	c.enqueue(nil)
	<-c.wdone
	c.close()
}

// next returns the next packet to write; ok is false once the connection is closed.
func (c *conn) next() (pkt packets.ControlPacket, ok bool) {
	for {
		c.qmu.Lock()
		if c.stopped {
			c.qmu.Unlock()
			return nil, false
		}
		if len(c.queue) > 0 {
			pkt = c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.qmu.Unlock()
			return pkt, true
		}
		c.qmu.Unlock()
		select {
		case <-c.wake:
		case <-c.done:
			return nil, false
		}
	}
}

// writeLoop is the writer goroutine.
func (c *conn) writeLoop() {
	defer c.b.wg.Done()
	defer close(c.wdone)
	var buf bytes.Buffer
	for {
		pkt, ok := c.next()
		if !ok {
			return
		}
		if pkt == nil {
			return // closeAfterQueued
		}
		ok, last := c.claim()
		if !ok {
			c.b.drop(c, true, errFault)
			return
		}
		buf.Reset()
		if err := pkt.Write(&buf); err != nil {
			c.b.drop(c, true, err)
			return
		}
		if _, err := c.nc.Write(buf.Bytes()); err != nil {
			// The reader sees the failure too and decides about the will (a DISCONNECT may be
			// waiting in its buffer).
			c.qmu.Lock()
			c.stopped, c.queue = true, nil
			c.qmu.Unlock()
			return
		}
		c.b.packetsOut.Add(1)
		if _, ok := pkt.(*packets.PublishPacket); ok {
			c.b.messagesOut.Add(1)
		}
		if last {
			c.b.drop(c, true, errFault)
			return
		}
	}
}

func packetName(pkt packets.ControlPacket) string {
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", pkt), "*packets."), "Packet")
}
