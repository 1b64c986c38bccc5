package mqttxtest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// FuzzServeConn sends a valid CONNECT followed by arbitrary bytes. Properties: the broker does not panic,
// keeps serving other clients, and Close returns promptly.
func FuzzServeConn(f *testing.F) {
	var seed bytes.Buffer
	for _, p := range []packets.ControlPacket{
		subscribePacket(1, []string{"a/#", "+"}, []byte{1, 2}),
		publish("a/b", "x", 1, true, 2),
		publish("a/c", "y", 2, false, 3),
		pubrelPacket(3),
		packets.NewControlPacket(packets.Pingreq),
	} {
		_ = p.Write(&seed)
	}
	f.Add(seed.Bytes())
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f})       // huge remaining length
	f.Add([]byte{0x82, 0x05, 0x00, 0x01, 0x00, 0x09}) // SUBSCRIBE with a short filter
	f.Add([]byte{0xe0, 0x00})                         // DISCONNECT
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Start(WithMaxPacketSize(1 << 16))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		conn, err := b.DialPipe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = io.Copy(io.Discard, conn) }()
		var in bytes.Buffer
		_ = connectPacket("fuzz", true).Write(&in)
		in.Write(data)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write(in.Bytes()) // fails when the broker closes the connection

		other, err := b.DialPipe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, conn: other, br: bufioReader(other)}
		c.mustConnect("other", true, false)
		c.send(packets.NewControlPacket(packets.Pingreq))
		expect[*packets.PingrespPacket](c)

		done := make(chan struct{})
		go func() { _ = b.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(timeout):
			t.Fatal("Close did not return")
		}
	})
}
