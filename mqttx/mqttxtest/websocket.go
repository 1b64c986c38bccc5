package mqttxtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// errTextFrame ends a WebSocket connection that sent a text frame: MQTT over WebSocket uses binary
// frames only (MQTT 3.1.1 §6).
var errTextFrame = errors.New("mqttxtest: WebSocket text frame")

func websocketPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

// serveHTTPLocked serves h on ln until Close or Restart. The caller holds b.mu.
func (b *Broker) serveHTTPLocked(ln net.Listener, h http.Handler) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: DefaultConnectTimeout,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelDebug),
	}
	b.servers = append(b.servers, srv)
	b.goTracked(func() { _ = srv.Serve(ln) })
}

// websocketHandler upgrades requests for path that ask for the "mqtt" subprotocol and serves MQTT on
// them, for a listener of generation gen.
func (b *Broker) websocketHandler(path, kind string, gen int) http.Handler {
	path = websocketPath(path)
	up := websocket.Upgrader{
		HandshakeTimeout: DefaultConnectTimeout,
		Subprotocols:     []string{"mqtt"},
		CheckOrigin:      func(*http.Request) bool { return true },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if !slices.Contains(websocket.Subprotocols(r), "mqtt") {
			http.Error(w, `mqttxtest: WebSocket subprotocol "mqtt" required`, http.StatusBadRequest)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered the request
		}
		var certs []*x509.Certificate
		if r.TLS != nil {
			certs = r.TLS.PeerCertificates
		}
		nc := &wsConn{ws: ws}
		c := newConn(b, nc, nc, kind, certs)
		if b.register(c, gen) != nil {
			_ = nc.Close()
			return
		}
		go c.writeLoop()
		c.run()
	})
}

// wsConn is a net.Conn over a WebSocket: a read continues across frame (message) boundaries, so an
// MQTT packet may span frames and a frame may hold several packets; each Write is one binary frame.
// One goroutine reads and one writes, as gorilla/websocket requires.
type wsConn struct {
	ws *websocket.Conn
	r  io.Reader // the current message, nil between messages
}

var _ net.Conn = (*wsConn)(nil)

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				msg := websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "mqttxtest: binary frames only")
				_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
				return 0, errTextFrame
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the network connection without a closing handshake, as a dropped link would. Under TLS
// it closes the TCP connection directly so that it never waits on a close_notify write.
func (c *wsConn) Close() error {
	if tc, ok := c.ws.UnderlyingConn().(*tls.Conn); ok {
		return tc.NetConn().Close()
	}
	return c.ws.Close()
}

func (c *wsConn) LocalAddr() net.Addr                { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr               { return c.ws.RemoteAddr() }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }

func (c *wsConn) SetDeadline(t time.Time) error {
	return errors.Join(c.ws.SetReadDeadline(t), c.ws.SetWriteDeadline(t))
}
