package awsiottest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tether-iot/tether/transport/awsiot"
)

// track accounts for a goroutine of the emulator's; false after Close.
func (e *Emulator) track() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	return true
}

func (e *Emulator) acceptLoop() {
	for {
		raw, err := e.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		c := e.trackConn(raw)
		if c == nil || !e.track() {
			_ = raw.Close()
			return
		}
		go func() {
			defer e.wg.Done()
			e.handshake(c)
		}()
	}
}

// handshake terminates TLS and hands the connection to the method its
// ALPN protocol selects, as AWS IoT Core's port 443 does: x-amzn-mqtt-ca
// is MQTT with a client certificate, mqtt is MQTT with a custom
// authorizer, and HTTP is a WebSocket upgrade. Without ALPN (port 8883)
// an HTTP request is served as a WebSocket upgrade and anything else as
// MQTT with a client certificate.
func (e *Emulator) handshake(raw net.Conn) {
	tc := tls.Server(raw, e.tlsConf)
	_ = raw.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.Handshake(); err != nil {
		// An unknown client certificate ends here, as on AWS.
		e.log.Debug("awsiottest: TLS handshake failed", "err", err)
		_ = raw.Close()
		return
	}
	_ = raw.SetDeadline(time.Time{})
	state := tc.ConnectionState()
	var conn net.Conn = tc
	switch state.NegotiatedProtocol {
	case awsiot.ALPNCustomAuthorizer:
		e.serveDevice(conn, deviceInfo{auth: awsiot.AuthCustomAuthorizer, alpn: state.NegotiatedProtocol})
		return
	case "http/1.1":
		e.httpLn.push(conn)
		return
	case "":
		br := bufio.NewReader(tc)
		_ = raw.SetReadDeadline(time.Now().Add(handshakeTimeout))
		first, err := br.Peek(1)
		_ = raw.SetReadDeadline(time.Time{})
		if err != nil {
			_ = tc.Close()
			return
		}
		conn = &bufferedConn{Conn: tc, r: br}
		if first[0] == 'G' { // GET: a WebSocket upgrade
			e.httpLn.push(conn)
			return
		}
	}
	info := deviceInfo{auth: awsiot.AuthX509, alpn: state.NegotiatedProtocol}
	if len(state.PeerCertificates) == 0 {
		e.violation("", fmt.Errorf("%w: X.509 connection without a client certificate", ErrNotAuthorized))
		_ = conn.Close()
		return
	}
	info.cert = state.PeerCertificates[0]
	e.serveDevice(conn, info)
}

// serveWebSocket checks the SigV4 presigned upgrade request and serves
// MQTT over the WebSocket.
func (e *Emulator) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != awsiot.WebSocketPath {
		http.NotFound(w, r)
		return
	}
	if err := awsiot.VerifyWebSocketQuery(r.Host, r.URL.RawQuery, Region, e.creds, time.Now(), MaxClockSkew); err != nil {
		e.violation("", err)
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	if !slices.Contains(websocket.Subprotocols(r), awsiot.WebSocketSubprotocol) {
		http.Error(w, `WebSocket subprotocol "mqtt" required`, http.StatusBadRequest)
		return
	}
	if !e.track() {
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	defer e.wg.Done()
	up := websocket.Upgrader{
		HandshakeTimeout: handshakeTimeout,
		Subprotocols:     []string{awsiot.WebSocketSubprotocol},
		CheckOrigin:      func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered
	}
	e.serveDevice(&wsConn{ws: ws}, deviceInfo{auth: awsiot.AuthWebSocket})
}

// trackedConn is an accepted connection Close can find; it forgets itself
// when closed.
type trackedConn struct {
	net.Conn
	e    *Emulator
	once sync.Once
}

func (e *Emulator) trackConn(c net.Conn) *trackedConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	tc := &trackedConn{Conn: c, e: e}
	e.conns[tc] = struct{}{}
	return tc
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.e.mu.Lock()
		delete(c.e.conns, c)
		c.e.mu.Unlock()
	})
	return c.Conn.Close()
}

// bufferedConn reads through r, which holds bytes peeked from Conn.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener hands connections whose TLS is already terminated to the
// HTTP server.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
