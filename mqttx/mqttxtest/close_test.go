package mqttxtest

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tether-iot/tether/internal/leakcheck"
)

// Close ends every goroutine, whatever state the connections are in.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	leakcheck.Check(t)
	b, err := Start(WithTLS(), WithWebSocket(""), WithWebSocketTLS(""))
	if err != nil {
		t.Fatal(err)
	}
	// Connected clients on every transport.
	dial(t, b).mustConnect("tcp", false, false).subscribe("#", 1, 1)
	tc, err := dialTLS(t, b, b.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc.mustConnect("tls", true, false)
	for _, u := range []string{b.WSURL(), b.WSSURL()} {
		ws, _, err := dialWS(t, u, b.ClientTLSConfig(), "mqtt")
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.BinaryMessage, encode(t, connectPacket(u, true))); err != nil {
			t.Fatal(err)
		}
		readWS(t, ws)
	}
	// A pipe client that never reads: the broker's writer is blocked in Write.
	stuck := pipe(t, b)
	stuck.send(connectPacket("stuck", true))
	// Acknowledgements waiting on a timer.
	b.DelayAcks(time.Hour)
	delayed := dial(t, b).mustConnect("delayed", true, false)
	delayed.send(publish("t", "x", 1, false, 1))
	// Connections that never sent CONNECT, on TCP and TLS.
	idle, err := net.Dial("tcp", strings.TrimPrefix(b.URL(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	rawTLS, err := net.Dial("tcp", strings.TrimPrefix(b.TLSURL(), "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	defer rawTLS.Close() // mid-handshake: never sends a ClientHello
	eventually(t, "every client connected", func() bool { return len(b.Clients()) == 6 })

	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("Close took %v", elapsed)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	delayed.expectClosed()
	if got := b.Clients(); len(got) != 0 {
		t.Fatalf("Clients() after Close = %v", got)
	}
}

// Tests start and close brokers hundreds of times: both must be quick, TLS included.
func TestStartCloseFast(t *testing.T) {
	leakcheck.Check(t)
	start := time.Now()
	const n = 50
	for i := 0; i < n; i++ {
		b, err := Start(WithTLS(), WithWebSocket(""))
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.Dial("tcp", strings.TrimPrefix(b.TLSURL(), "tls://"), b.ClientTLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		_ = b.Close()
		_ = c.Close()
	}
	if per := time.Since(start) / n; per > 500*time.Millisecond {
		t.Fatalf("Start+dial+Close took %v each", per)
	}
}
