package mosquittotest

import (
	"crypto/tls"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// connect sends a minimal MQTT 3.1.1 CONNECT over c and returns the CONNACK return code.
func connect(t *testing.T, c net.Conn, user, pass string) byte {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	flags := byte(0x02) // clean session
	payload := str("mosquittotest")
	if user != "" {
		flags |= 0xC0
		payload = append(payload, str(user)...)
		payload = append(payload, str(pass)...)
	}
	vh := append(str("MQTT"), 4, flags, 0, 60)
	body := append(vh, payload...)
	pkt := append([]byte{0x10, byte(len(body))}, body...)
	if _, err := c.Write(pkt); err != nil {
		t.Fatalf("write CONNECT: %v", err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(c, ack); err != nil {
		t.Fatalf("read CONNACK: %v", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		t.Fatalf("not a CONNACK: % x", ack)
	}
	return ack[3]
}

func hostOf(t *testing.T, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestTCPListener(t *testing.T) {
	b := Start(t, Config{})
	c, err := net.Dial("tcp", hostOf(t, b.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := connect(t, c, "", ""); code != 0 {
		t.Fatalf("CONNACK code %d, want 0", code)
	}
}

func TestTLSListenerRequiresClientCert(t *testing.T) {
	b := Start(t, Config{TLS: true})
	c, err := tls.Dial("tcp", hostOf(t, b.TLSURL), b.ClientTLSConfig("device-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code := connect(t, c, "", ""); code != 0 {
		t.Fatalf("CONNACK code %d, want 0", code)
	}

	noCert := b.ClientTLSConfig("x")
	noCert.Certificates = nil
	c2, err := tls.Dial("tcp", hostOf(t, b.TLSURL), noCert)
	if err == nil {
		defer c2.Close()
		_ = c2.SetDeadline(time.Now().Add(5 * time.Second))
		// With TLS 1.3 the rejection arrives on the first read.
		if _, err = c2.Write([]byte{0xC0, 0}); err == nil {
			_, err = c2.Read(make([]byte, 1))
		}
	}
	if err == nil {
		t.Fatal("TLS without a client certificate was accepted")
	}
}

func TestPasswordFile(t *testing.T) {
	b := Start(t, Config{Users: map[string]string{"alice": "s3cret", "bob": "hunter2"}})
	for _, tt := range []struct {
		user, pass string
		want       byte
	}{{"alice", "s3cret", 0}, {"bob", "hunter2", 0}, {"alice", "wrong", 5}, {"", "", 5}} {
		c, err := net.Dial("tcp", hostOf(t, b.URL))
		if err != nil {
			t.Fatal(err)
		}
		if code := connect(t, c, tt.user, tt.pass); code != tt.want {
			t.Errorf("user %q: CONNACK code %d, want %d", tt.user, code, tt.want)
		}
		c.Close()
	}
}

func TestRestartKeepsPortAndDropsClients(t *testing.T) {
	b := Start(t, Config{})
	c, err := net.Dial("tcp", hostOf(t, b.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	connect(t, c, "", "")
	b.Restart()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection survived the restart")
	}
	c2, err := net.Dial("tcp", hostOf(t, b.URL))
	if err != nil {
		t.Fatalf("dial after restart: %v", err)
	}
	defer c2.Close()
	if code := connect(t, c2, "", ""); code != 0 {
		t.Fatalf("CONNACK code %d after restart", code)
	}
}

func TestStopTwice(t *testing.T) {
	b := Start(t, Config{})
	b.Stop()
	b.Stop()
	if _, err := net.DialTimeout("tcp", hostOf(t, b.URL), time.Second); err == nil {
		t.Fatal("broker still accepting after Stop")
	}
}

func TestWebSocketListener(t *testing.T) {
	b := Start(t, Config{WebSocket: true}) // skips on builds without WebSocket support
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(b.WSURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", b.WSURL, err)
	}
	defer ws.Close()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "mqtt" {
		t.Fatalf("subprotocol %q, want mqtt", got)
	}
	connectPkt := []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'w'}
	if err := ws.WriteMessage(websocket.BinaryMessage, connectPkt); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, ack, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if len(ack) != 4 || ack[0] != 0x20 || ack[3] != 0 {
		t.Fatalf("CONNACK % x, want 20 02 00 00", ack)
	}
}
