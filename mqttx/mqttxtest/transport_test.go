package mqttxtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"

	"github.com/tether-iot/tether/internal/testcerts"
)

func dialTLS(t *testing.T, b *Broker, cfg *tls.Config) (*client, error) {
	t.Helper()
	d := &tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctxTimeout(t), "tcp", strings.TrimPrefix(b.TLSURL(), "tls://"))
	if err != nil {
		return nil, err
	}
	return newClient(t, conn), nil
}

func TestTLS(t *testing.T) {
	peers := make(chan []*x509.Certificate, 2)
	b := NewBroker(t, WithTLS(), WithAuthenticator(func(ci ConnectInfo) byte {
		peers <- ci.PeerCertificates
		return 0
	}))
	if !strings.HasPrefix(b.TLSURL(), "tls://127.0.0.1:") {
		t.Fatalf("TLSURL() = %q", b.TLSURL())
	}
	t.Run("without client certificate", func(t *testing.T) {
		c, err := dialTLS(t, b, b.ClientTLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		c.mustConnect("dev1", true, false)
		if got := <-peers; len(got) != 0 {
			t.Fatalf("authenticator saw %d peer certificates, want 0", len(got))
		}
	})
	t.Run("with client certificate", func(t *testing.T) {
		cert, err := b.IssueClientCert("dev2")
		if err != nil {
			t.Fatal(err)
		}
		cfg := b.ClientTLSConfig()
		cfg.Certificates = []tls.Certificate{cert}
		c, err := dialTLS(t, b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.mustConnect("dev2", true, false)
		if got := <-peers; len(got) != 1 || got[0].Subject.CommonName != "dev2" {
			t.Fatalf("authenticator saw %v, want the dev2 certificate", got)
		}
	})
	t.Run("server certificate valid for 127.0.0.1", func(t *testing.T) {
		cfg := b.ClientTLSConfig()
		cfg.ServerName = ""
		d := &tls.Dialer{Config: cfg}
		conn, err := d.DialContext(ctxTimeout(t), "tcp", strings.TrimPrefix(b.TLSURL(), "tls://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.Close()
	})
	t.Run("untrusted without the CA", func(t *testing.T) {
		if _, err := dialTLS(t, b, &tls.Config{ServerName: "localhost", RootCAs: x509.NewCertPool()}); err == nil {
			t.Fatal("handshake succeeded without trusting the broker's CA")
		}
	})
}

func TestClientCertAuth(t *testing.T) {
	b := NewBroker(t, WithClientCertAuth())
	if b.TLSURL() == "" {
		t.Fatal("WithClientCertAuth did not add a TLS listener")
	}
	// connectTLS reports whether a CONNECT over TLS with cert gets accepted.
	connectTLS := func(t *testing.T, cert *tls.Certificate) error {
		cfg := b.ClientTLSConfig()
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		c, err := dialTLS(t, b, cfg)
		if err != nil {
			return err // TLS 1.2 reports the refusal in the handshake
		}
		c.send(connectPacket("dev", true))
		if _, err := c.tryRead(timeout); err != nil { // TLS 1.3 reports it on the first read
			return err
		}
		return nil
	}
	t.Run("no certificate", func(t *testing.T) {
		if err := connectTLS(t, nil); err == nil {
			t.Fatal("connected without a client certificate")
		}
	})
	t.Run("certificate from another CA", func(t *testing.T) {
		ca, err := testcerts.NewCA()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ca.ClientCert("dev")
		if err != nil {
			t.Fatal(err)
		}
		if err := connectTLS(t, &cert); err == nil {
			t.Fatal("connected with a certificate from another CA")
		}
	})
	t.Run("certificate from the broker's CA", func(t *testing.T) {
		cert, err := b.IssueClientCert("dev")
		if err != nil {
			t.Fatal(err)
		}
		if err := connectTLS(t, &cert); err != nil {
			t.Fatal(err)
		}
	})
}

func dialWS(t *testing.T, url string, cfg *tls.Config, subprotocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: subprotocols, TLSClientConfig: cfg, HandshakeTimeout: timeout}
	ws, resp, err := d.DialContext(ctxTimeout(t), url, nil)
	if err == nil {
		t.Cleanup(func() { _ = ws.Close() })
	}
	return ws, resp, err
}

func encode(t *testing.T, pkts ...packets.ControlPacket) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range pkts {
		if err := p.Write(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// readWS reads the next MQTT packet from WebSocket messages.
func readWS(t *testing.T, ws *websocket.Conn) packets.ControlPacket {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	typ, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.BinaryMessage {
		t.Fatalf("frame type %d, want binary", typ)
	}
	p, err := packets.ReadPacket(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return p
}

func TestWebSocketFraming(t *testing.T) {
	b := NewBroker(t, WithWebSocket(""))
	if !strings.HasPrefix(b.WSURL(), "ws://127.0.0.1:") || !strings.HasSuffix(b.WSURL(), "/mqtt") {
		t.Fatalf("WSURL() = %q", b.WSURL())
	}
	ws, resp, err := dialWS(t, b.WSURL(), nil, "mqtt")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "mqtt" {
		t.Fatalf("subprotocol %q, want mqtt", got)
	}
	// One CONNECT split across three frames.
	connect := encode(t, connectPacket("dev1", true))
	for _, part := range [][]byte{connect[:1], connect[1:5], connect[5:]} {
		if err := ws.WriteMessage(websocket.BinaryMessage, part); err != nil {
			t.Fatal(err)
		}
	}
	if ack, ok := readWS(t, ws).(*packets.ConnackPacket); !ok || ack.ReturnCode != 0 {
		t.Fatalf("got %v, want CONNACK 0", ack)
	}
	// SUBSCRIBE and PINGREQ packed in one frame, with the second packet's end in the next frame.
	two := encode(t, subscribePacket(3, []string{"t"}, []byte{0}), packets.NewControlPacket(packets.Pingreq))
	if err := ws.WriteMessage(websocket.BinaryMessage, two[:len(two)-1]); err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, two[len(two)-1:]); err != nil {
		t.Fatal(err)
	}
	if ack, ok := readWS(t, ws).(*packets.SubackPacket); !ok || ack.MessageID != 3 {
		t.Fatalf("got %v, want SUBACK 3", ack)
	}
	if _, ok := readWS(t, ws).(*packets.PingrespPacket); !ok {
		t.Fatal("want PINGRESP")
	}
	// A packet larger than a frame buffer is fragmented by the client into continuation frames.
	big := bytes.Repeat([]byte("y"), 10000)
	w, err := ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		t.Fatal(err)
	}
	pub := encode(t, publish("t", string(big), 0, false, 0))
	for i := 0; i < len(pub); i += 1000 {
		if _, err := w.Write(pub[i:min(i+1000, len(pub))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if p, ok := readWS(t, ws).(*packets.PublishPacket); !ok || !bytes.Equal(p.Payload, big) {
		t.Fatal("want the big PUBLISH back")
	}
}

func TestWebSocketTextFrameCloses(t *testing.T) {
	b := NewBroker(t, WithWebSocket("/mqtt"))
	ws, _, err := dialWS(t, b.WSURL(), nil, "mqtt")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, encode(t, connectPacket("dev1", true))); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Fatalf("read = %v, want close 1003", err)
	}
	if s := b.Stats(); s.Connects != 0 {
		t.Fatalf("Stats().Connects = %d, want 0", s.Connects)
	}
}

func TestWebSocketHandshake(t *testing.T) {
	b := NewBroker(t, WithWebSocket("$iothub/websocket"))
	if !strings.HasSuffix(b.WSURL(), "/$iothub/websocket") {
		t.Fatalf("WSURL() = %q", b.WSURL())
	}
	if _, resp, err := dialWS(t, b.WSURL(), nil); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("dial without subprotocol: err %v, want HTTP 400", err)
	}
	if _, resp, err := dialWS(t, strings.TrimSuffix(b.WSURL(), "websocket")+"other", nil, "mqtt"); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dial at another path: err %v, want HTTP 404", err)
	}
	ws, _, err := dialWS(t, b.WSURL()+"?api-version=2021-04-12", nil, "mqtt")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, encode(t, connectPacket("dev1", true))); err != nil {
		t.Fatal(err)
	}
	if _, ok := readWS(t, ws).(*packets.ConnackPacket); !ok {
		t.Fatal("want CONNACK")
	}
}

func TestWebSocketTLS(t *testing.T) {
	peers := make(chan []*x509.Certificate, 1)
	b := NewBroker(t, WithWebSocketTLS("/mqtt"), WithClientCertAuth(), WithAuthenticator(func(ci ConnectInfo) byte {
		peers <- ci.PeerCertificates
		return 0
	}))
	if b.TLSURL() != "" {
		t.Fatalf("TLSURL() = %q, want no TLS listener", b.TLSURL())
	}
	if _, _, err := dialWS(t, b.WSSURL(), b.ClientTLSConfig(), "mqtt"); err == nil {
		t.Fatal("wss dial without client certificate succeeded")
	}
	cert, err := b.IssueClientCert("dev1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := b.ClientTLSConfig()
	cfg.Certificates = []tls.Certificate{cert}
	ws, _, err := dialWS(t, b.WSSURL(), cfg, "mqtt")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, encode(t, connectPacket("dev1", true))); err != nil {
		t.Fatal(err)
	}
	if _, ok := readWS(t, ws).(*packets.ConnackPacket); !ok {
		t.Fatal("want CONNACK")
	}
	if got := <-peers; len(got) != 1 || got[0].Subject.CommonName != "dev1" {
		t.Fatalf("authenticator saw %v, want the dev1 certificate", got)
	}
	// Disconnect closes a wss connection too.
	b.Disconnect("dev1")
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	if _, _, err := ws.ReadMessage(); err == nil || isTimeout(err) {
		t.Fatalf("read after Disconnect = %v, want the connection closed", err)
	}
}

func TestDialPipeAfterClose(t *testing.T) {
	b := NewBroker(t)
	_ = b.Close()
	if _, err := b.DialPipe(ctxTimeout(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("DialPipe after Close = %v, want ErrClosed", err)
	}
}
