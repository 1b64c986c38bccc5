package mqttx

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// chunkConn is a connection whose reads return its data in the given
// chunk sizes (as TCP segments might arrive), counting the reads.
type chunkConn struct {
	net.Conn
	data   []byte
	chunks []int
	reads  int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.reads++
	n := len(p)
	if len(c.chunks) > 0 {
		n = min(n, c.chunks[0])
		c.chunks = c.chunks[1:]
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// publishes encodes n PUBLISH packets with payloads of random sizes up to
// max bytes.
func publishes(t *testing.T, rng *rand.Rand, n, max int) ([]*packets.PublishPacket, []byte) {
	t.Helper()
	var wire bytes.Buffer
	var sent []*packets.PublishPacket
	for i := 0; i < n; i++ {
		p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
		p.TopicName = "d/telemetry"
		p.Qos = 1
		p.MessageID = uint16(i + 1)
		p.Payload = make([]byte, rng.Intn(max+1))
		rng.Read(p.Payload)
		if err := p.Write(&wire); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, p)
	}
	return sent, wire.Bytes()
}

// Packets read the way paho reads them come out whole and in order,
// however the bytes arrive.
func TestCoalescingConnKeepsPacketsIntact(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 200; trial++ {
		sent, wire := publishes(t, rng, 20, 3*readChunk)
		var chunks []int
		for i := 0; i < 200; i++ {
			chunks = append(chunks, 1+rng.Intn(2*readChunk))
		}
		c := newCoalescingConn(&chunkConn{data: wire, chunks: chunks})
		for i, want := range sent {
			got, err := packets.ReadPacket(c)
			if err != nil {
				t.Fatalf("trial %d, packet %d: %v", trial, i, err)
			}
			p, ok := got.(*packets.PublishPacket)
			if !ok || p.MessageID != want.MessageID || !bytes.Equal(p.Payload, want.Payload) {
				t.Fatalf("trial %d, packet %d: read %v, want message %d with its payload", trial, i, got, want.MessageID)
			}
		}
		if _, err := packets.ReadPacket(c); !errors.Is(err, io.EOF) {
			t.Fatalf("trial %d: after the last packet ReadPacket = %v, want EOF", trial, err)
		}
	}
}

// A small packet arriving whole costs two reads of the connection (paho
// alone: three or four), and no buffer is held between packets.
func TestCoalescingConnReadsAPacketInTwoCalls(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	sent, wire := publishes(t, rng, 10, 300) // some with a two-byte remaining length
	under := &chunkConn{data: wire}
	c := newCoalescingConn(under)
	for i := range sent {
		// Each packet arrives on its own, as in a request/response exchange.
		end := len(wire) - len(under.data)
		size := packetSize(t, wire[end:])
		under.chunks = []int{1, size - 1}
		before := under.reads
		if _, err := packets.ReadPacket(c); err != nil {
			t.Fatal(err)
		}
		if n := under.reads - before; n != 2 {
			t.Fatalf("packet %d (%d bytes) took %d reads of the connection, want 2", i, size, n)
		}
		if c.buf != nil {
			t.Fatalf("packet %d: a buffer is held after the packet was read", i)
		}
	}
}

// packetSize returns the size of the MQTT packet at the start of b.
func packetSize(t *testing.T, b []byte) int {
	t.Helper()
	n, mult, i := 0, 1, 1
	for ; ; i++ {
		n += int(b[i]&0x7f) * mult
		if b[i]&0x80 == 0 {
			break
		}
		mult *= 128
	}
	return 1 + i + n
}

// Several packets that arrive together are read with one call after the
// first byte.
func TestCoalescingConnReadsPacketsArrivingTogether(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	sent, wire := publishes(t, rng, 8, 40)
	if len(wire) >= readChunk {
		t.Fatalf("test data %d bytes does not fit one chunk", len(wire))
	}
	under := &chunkConn{data: wire}
	c := newCoalescingConn(under)
	for range sent {
		if _, err := packets.ReadPacket(c); err != nil {
			t.Fatal(err)
		}
	}
	if under.reads != 2 {
		t.Fatalf("%d packets arriving together took %d reads, want 2", len(sent), under.reads)
	}
}

// A read of at least a chunk goes to the connection directly, and an
// error is the connection's.
func TestCoalescingConnLargeReadsAndErrors(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 3*readChunk)
	under := &chunkConn{data: data}
	c := newCoalescingConn(under)
	p := make([]byte, 2*readChunk)
	if n, err := io.ReadFull(c, p); err != nil || n != len(p) || c.buf != nil {
		t.Fatalf("large read = %d, %v (buffered: %v), want %d straight through", n, err, c.buf != nil, len(p))
	}
	rest, err := io.ReadAll(c)
	if err != nil || len(rest) != readChunk {
		t.Fatalf("ReadAll = %d bytes, %v; want %d", len(rest), err, readChunk)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("Read at the end = %d, %v; want EOF", n, err)
	}
}

// frame follows packets of every remaining-length width, empty ones
// (PINGRESP) included.
func TestFrameFollowsPacketBoundaries(t *testing.T) {
	var wire bytes.Buffer
	var ends []int
	for _, n := range []int{0, 2, 127, 128, 16383, 16384, 0} {
		wire.WriteByte(0x30)
		for x := n; ; {
			d := byte(x % 128)
			x /= 128
			if x > 0 {
				d |= 0x80
			}
			wire.WriteByte(d)
			if x == 0 {
				break
			}
		}
		wire.Write(make([]byte, n))
		ends = append(ends, wire.Len())
	}
	b := wire.Bytes()
	var f frame
	for i := 0; i < len(b); i++ {
		f.advance(b[i : i+1])
		atEnd := false
		for _, e := range ends {
			atEnd = atEnd || e == i+1
		}
		if f.atStart() != atEnd {
			t.Fatalf("after byte %d: atStart = %v, want %v", i, f.atStart(), atEnd)
		}
	}
}

// Whatever a broker sends, framed or not, paho reads through the
// coalescing connection exactly the bytes sent, for any pattern of reads
// and of arrival.
func FuzzCoalescingConn(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x00, 0x01, 'a', 0xd0, 0x00}, []byte{1, 2, 1, 9}, int64(1))
	f.Add([]byte{0x40, 0x02, 0x00, 0x01}, []byte{1, 1, 2}, int64(2))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3}, []byte{3}, int64(3))
	f.Fuzz(func(t *testing.T, data, chunks []byte, seed int64) {
		in := make([]int, len(chunks))
		for i, c := range chunks {
			in[i] = 1 + int(c)*8
		}
		c := newCoalescingConn(&chunkConn{data: append([]byte(nil), data...), chunks: in})
		rng := rand.New(rand.NewSource(seed))
		var got []byte
		for {
			p := make([]byte, 1+rng.Intn(2*readChunk))
			n, err := c.Read(p)
			got = append(got, p[:n]...)
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes differing from the %d sent", len(got), len(data))
		}
	})
}
