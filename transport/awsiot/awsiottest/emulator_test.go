package awsiottest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/transport/awsiot"
)

// rawClient speaks MQTT bytes to the emulator, with no client-side checks.
type rawClient struct {
	t  *testing.T
	c  *tls.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, e *Emulator, cert *tls.Certificate, alpn ...string) (*rawClient, error) {
	t.Helper()
	cfg := &tls.Config{RootCAs: e.CA(), ServerName: Endpoint, NextProtos: alpn, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	c, err := tls.Dial("tcp", e.Address(), cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}, nil
}

// deviceClient dials with a fresh certificate for thing and connects.
func deviceClient(t *testing.T, e *Emulator, thing string) *rawClient {
	t.Helper()
	cert, err := e.IssueCertificate(thing)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dialRaw(t, e, &cert)
	if err != nil {
		t.Fatal(err)
	}
	r.send(encodeConnect(testConnect{clientID: thing, keepAlive: 60, clean: true}))
	r.expectConnack(0)
	return r
}

func (r *rawClient) send(p []byte) {
	r.t.Helper()
	_ = r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write(p); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawClient) read() (frame, error) {
	_ = r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return readFrame(r.br, 1<<20)
}

func (r *rawClient) expect(kind byte) frame {
	r.t.Helper()
	f, err := r.read()
	if err != nil {
		r.t.Fatalf("want packet type %d: %v", kind, err)
	}
	if f.kind() != kind {
		r.t.Fatalf("got packet type %d, want %d", f.kind(), kind)
	}
	return f
}

func (r *rawClient) expectConnack(code byte) {
	r.t.Helper()
	f := r.expect(2)
	if len(f.body) != 2 || f.body[1] != code {
		r.t.Fatalf("CONNACK %v, want code %d", f.body, code)
	}
}

// expectClosed reads until the emulator closes the connection; it fails if
// the connection stays open.
func (r *rawClient) expectClosed() {
	r.t.Helper()
	for {
		f, err := r.read()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				r.t.Fatalf("the emulator did not close the connection")
			}
			return
		}
		_ = f
	}
}

func lastViolation(t *testing.T, e *Emulator) Violation {
	t.Helper()
	v := e.Violations()
	if len(v) == 0 {
		t.Fatalf("no violation recorded")
	}
	return v[len(v)-1]
}

func TestX509Connection(t *testing.T) {
	e := New(t)
	r := deviceClient(t, e, "thing1")
	r.send(encodePublish("thing1/events", 1, 1, []byte(`{"t":1}`)))
	r.expect(packetPuback)
	got := e.Received("thing1")
	if len(got) != 1 || got[0].Topic != "thing1/events" || string(got[0].Payload) != `{"t":1}` {
		t.Fatalf("Received = %+v", got)
	}
	conns := e.Connections()
	if len(conns) != 1 || conns[0].Auth != awsiot.AuthX509 || conns[0].ALPN != "" ||
		conns[0].Certificate.Subject.CommonName != "thing1" || conns[0].KeepAlive != 60*time.Second {
		t.Fatalf("Connections = %+v", conns)
	}
}

func TestUnknownCertificateRefused(t *testing.T) {
	e := New(t)
	other, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := other.ClientCert("thing1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := dialRaw(t, e, &cert)
	if err == nil {
		// TLS 1.3: the server checks the client certificate after the
		// client's handshake is done; the refusal comes with the first read.
		_, _ = r.c.Write(encodeConnect(testConnect{clientID: "thing1", clean: true}))
		if _, err = r.read(); err == nil {
			t.Fatalf("a certificate from an unknown CA was accepted")
		}
	}
	if n := len(e.Connections()); n != 0 {
		t.Fatalf("%d connections accepted", n)
	}
}

func TestConnectionWithoutCertificateRefused(t *testing.T) {
	e := New(t)
	r, err := dialRaw(t, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.send(encodeConnect(testConnect{clientID: "thing1", clean: true}))
	r.expectClosed()
	if v := lastViolation(t, e); !errors.Is(v.Err, ErrNotAuthorized) {
		t.Fatalf("violation %v", v.Err)
	}
}

func TestClientIDRules(t *testing.T) {
	e := New(t)
	cert, _ := e.IssueCertificate("thing1")
	for _, id := range []string{"$thing1", strings.Repeat("c", awsiot.MaxClientIDLength+1)} {
		r, err := dialRaw(t, e, &cert)
		if err != nil {
			t.Fatal(err)
		}
		r.send(encodeConnect(testConnect{clientID: id, clean: true}))
		r.expectConnack(2)
		r.expectClosed()
		if v := lastViolation(t, e); !errors.Is(v.Err, awsiot.ErrInvalidClientID) {
			t.Fatalf("client id %.10q: violation %v", id, v.Err)
		}
	}
	r, _ := dialRaw(t, e, &cert)
	r.send(encodeConnect(testConnect{clientID: strings.Repeat("c", awsiot.MaxClientIDLength), clean: true}))
	r.expectConnack(0)
}

func TestQoS2WillClosesConnection(t *testing.T) {
	e := New(t)
	cert, _ := e.IssueCertificate("thing1")
	r, _ := dialRaw(t, e, &cert)
	r.send(encodeConnect(testConnect{clientID: "thing1", clean: true, willTopic: "thing1/status", willQoS: 2}))
	r.expectClosed()
	if v := lastViolation(t, e); !errors.Is(v.Err, awsiot.ErrQoSNotSupported) {
		t.Fatalf("violation %v", v.Err)
	}
}

func TestViolationsCloseConnection(t *testing.T) {
	tests := []struct {
		name   string
		packet []byte
		want   error
	}{
		{"payload over 128 KiB", encodePublish("thing1/events", 1, 1, make([]byte, awsiot.MaxPayloadSize+1)), awsiot.ErrPayloadTooLarge},
		{"payload far over 128 KiB", encodePublish("thing1/events", 0, 0, make([]byte, 300<<10)), awsiot.ErrPayloadTooLarge},
		{"QoS 2 publish", encodePublish("thing1/events", 2, 1, []byte("x")), awsiot.ErrQoSNotSupported},
		{"topic over 256 bytes", encodePublish("thing1/"+strings.Repeat("t", 250), 0, 0, nil), awsiot.ErrTopicTooLong},
		{"eight slashes", encodePublish("a/b/c/d/e/f/g/h/i", 0, 0, nil), awsiot.ErrTooManySlashes},
		{"nine filters in one SUBSCRIBE", encodeSubscribe(1, "a", "b", "c", "d", "e", "f", "g", "h", "i"), awsiot.ErrTooManyFilters},
		{"invalid filter", encodeSubscribe(1, "a/#/b"), awsiot.ErrInvalidTopic},
		{"malformed SUBSCRIBE", encodeFrame(packetSubscribe<<4|2, []byte{0, 1, 0, 9, 'a'}), ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(t)
			r := deviceClient(t, e, "thing1")
			// The emulator may close before a big packet is written whole.
			_, _ = r.c.Write(tt.packet)
			r.expectClosed()
			v := lastViolation(t, e)
			if v.ClientID != "thing1" || !errors.Is(v.Err, tt.want) {
				t.Fatalf("violation %+v, want %v", v, tt.want)
			}
			if got := e.Received("thing1"); tt.want != ErrProtocol && len(got) != 0 && len(got[0].Payload) > awsiot.MaxPayloadSize {
				t.Fatalf("the oversize message reached the broker")
			}
		})
	}
}

func TestLimitsAccepted(t *testing.T) {
	e := New(t)
	r := deviceClient(t, e, "thing1")
	r.send(encodePublish("thing1/events", 1, 1, make([]byte, awsiot.MaxPayloadSize)))
	r.expect(packetPuback)
	r.send(encodePublish("$aws/rules/my_rule/"+strings.Repeat("t/", 7)+"t", 1, 2, nil))
	r.expect(packetPuback)
	r.send(encodeSubscribe(3, "a", "b", "c", "d", "e", "f", "g", "h"))
	if f := r.expect(9); len(f.body) != 2+8 {
		t.Fatalf("SUBACK %v", f.body)
	}
	if v := e.Violations(); len(v) != 0 {
		t.Fatalf("violations %+v", v)
	}
}

func TestSubscriptionLimit(t *testing.T) {
	e := New(t)
	r := deviceClient(t, e, "thing1")
	n := 0
	for id := uint16(1); n < awsiot.MaxSubscriptions; id++ {
		var filters []string
		for len(filters) < awsiot.MaxFiltersPerSubscribe && n < awsiot.MaxSubscriptions {
			filters = append(filters, fmt.Sprintf("thing1/f%d", n))
			n++
		}
		r.send(encodeSubscribe(id, filters...))
		r.expect(9)
	}
	// Re-subscribing a filter and replacing one keep the count at 50.
	r.send(encodeSubscribe(100, "thing1/f0"))
	r.expect(9)
	r.send(encodeUnsubscribe(101, "thing1/f1"))
	r.expect(11)
	r.send(encodeSubscribe(102, "thing1/new"))
	r.expect(9)
	if v := e.Violations(); len(v) != 0 {
		t.Fatalf("violations %+v", v)
	}
	r.send(encodeSubscribe(103, "thing1/one-too-many"))
	r.expectClosed()
	if v := lastViolation(t, e); !errors.Is(v.Err, awsiot.ErrTooManySubscriptions) {
		t.Fatalf("violation %v", v.Err)
	}
	if got := e.Connections()[0].Subscribes; len(got) != 10 || len(got[0]) != 8 {
		t.Fatalf("Subscribes %q", got)
	}
}

func TestDuplicateClientIDClosesOlder(t *testing.T) {
	e := New(t)
	first := deviceClient(t, e, "thing1")
	deviceClient(t, e, "thing1")
	first.expectClosed()
	if got := e.Broker().Stats().Takeovers; got != 1 {
		t.Fatalf("Takeovers = %d", got)
	}
}

func TestHashDoesNotMatchParent(t *testing.T) {
	e := New(t)
	r := deviceClient(t, e, "thing1")
	r.send(encodeSubscribe(1, "thing1/request/#"))
	r.expect(9)
	// More QoS 1 messages than the broker's inflight window: the gateway
	// acknowledges the ones it drops, or the next one would never come.
	for i := 0; i < 30; i++ {
		if err := e.Publish("thing1/request", []byte("parent"), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Publish("thing1/request/sensor/list", []byte("child"), 1); err != nil {
		t.Fatal(err)
	}
	f := r.expect(packetPublish)
	p, _ := parsePublish(f)
	if p.topic != "thing1/request/sensor/list" {
		t.Fatalf("delivered %q first", p.topic)
	}
}

func TestRetainedNotForWildcardSubscriptions(t *testing.T) {
	e := New(t)
	if err := e.Broker().Publish("thing1/config", []byte("retained"), 1, true); err != nil {
		t.Fatal(err)
	}
	r := deviceClient(t, e, "thing1")
	r.send(encodeSubscribe(1, "thing1/+"))
	r.expect(9)
	if err := e.Publish("thing1/live", []byte("live"), 0); err != nil {
		t.Fatal(err)
	}
	if p, _ := parsePublish(r.expect(packetPublish)); p.topic != "thing1/live" {
		t.Fatalf("a wildcard subscription received %q", p.topic)
	}
	r.send(encodeSubscribe(2, "thing1/config"))
	r.expect(9)
	if p, _ := parsePublish(r.expect(packetPublish)); p.topic != "thing1/config" || !p.retain {
		t.Fatalf("exact subscription received %+v", p)
	}
}

func TestALPN(t *testing.T) {
	e := New(t, WithCustomAuthorizer("auth", "token", func(r AuthorizerRequest) bool { return r.Token == "ok" }))
	cert, _ := e.IssueCertificate("thing1")

	r, err := dialRaw(t, e, &cert, awsiot.ALPNX509)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.c.ConnectionState().NegotiatedProtocol; got != awsiot.ALPNX509 {
		t.Fatalf("negotiated %q", got)
	}
	r.send(encodeConnect(testConnect{clientID: "thing1", clean: true}))
	r.expectConnack(0)

	for token, code := range map[string]byte{"ok": 0, "bad": 5} {
		r, err = dialRaw(t, e, nil, awsiot.ALPNCustomAuthorizer)
		if err != nil {
			t.Fatal(err)
		}
		user := "?x-amz-customauthorizer-name=auth&token=" + token
		r.send(encodeConnect(testConnect{clientID: "thing2", username: &user, clean: true}))
		r.expectConnack(code)
	}
	if v := lastViolation(t, e); !errors.Is(v.Err, ErrNotAuthorized) {
		t.Fatalf("violation %v", v.Err)
	}
	if _, err := dialRaw(t, e, &cert, "h2"); err == nil {
		t.Fatalf("an unknown ALPN protocol was accepted")
	}
	conns := e.Connections()
	if len(conns) != 2 || conns[0].ALPN != awsiot.ALPNX509 || conns[1].Auth != awsiot.AuthCustomAuthorizer {
		t.Fatalf("Connections %+v", conns)
	}
}

func dialWebSocket(e *Emulator, url string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{
		TLSClientConfig: &tls.Config{RootCAs: e.CA(), ServerName: Endpoint, MinVersion: tls.VersionTLS12},
		Subprotocols:    []string{"mqtt"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.DialContext(ctx, url, nil)
}

func TestWebSocketSigV4(t *testing.T) {
	e := New(t)
	good, err := awsiot.PresignWebSocketURL(e.Address(), Region, e.Credentials(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := dialWebSocket(e, good)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(websocket.BinaryMessage, encodeConnect(testConnect{clientID: "thing1", clean: true})); err != nil {
		t.Fatal(err)
	}
	_, msg, err := ws.ReadMessage()
	if err != nil || !bytes.Equal(msg, connack(0)) {
		t.Fatalf("CONNACK %v %v", msg, err)
	}
	if c := e.Connections(); len(c) != 1 || c[0].Auth != awsiot.AuthWebSocket {
		t.Fatalf("Connections %+v", c)
	}

	wrong := e.Credentials()
	wrong.SecretAccessKey = "not-the-secret"
	noToken := e.Credentials()
	noToken.SessionToken = ""
	for name, url := range map[string]string{
		"wrong secret": mustPresign(t, e.Address(), Region, wrong, time.Now()),
		"no token":     mustPresign(t, e.Address(), Region, noToken, time.Now()),
		"other region": mustPresign(t, e.Address(), "eu-west-1", e.Credentials(), time.Now()),
		"other host":   strings.Replace(mustPresign(t, "localhost:1", Region, e.Credentials(), time.Now()), "localhost:1", e.Address(), 1),
		"stale":        mustPresign(t, e.Address(), Region, e.Credentials(), time.Now().Add(-time.Hour)),
		"unsigned":     "wss://" + e.Address() + "/mqtt",
	} {
		_, resp, err := dialWebSocket(e, url)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: err %v, response %v", name, err, resp)
		}
		if v := lastViolation(t, e); !errors.Is(v.Err, awsiot.ErrInvalidSignature) {
			t.Errorf("%s: violation %v", name, v.Err)
		}
	}
}

func mustPresign(t *testing.T, host, region string, creds awsiot.Credentials, now time.Time) string {
	t.Helper()
	u, err := awsiot.PresignWebSocketURL(host, region, creds, now)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCloseEndsEverything(t *testing.T) {
	leakcheck.Check(t)
	e, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := e.IssueCertificate("thing1")
	r, err := dialRaw(t, e, &cert)
	if err != nil {
		t.Fatal(err)
	}
	r.send(encodeConnect(testConnect{clientID: "thing1", clean: true}))
	r.expectConnack(0)
	ws, _, err := dialWebSocket(e, mustPresign(t, e.Address(), Region, e.Credentials(), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	r.expectClosed()
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
