package mqttx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocketSubprotocol is the WebSocket subprotocol MQTT requires (MQTT 3.1.1 §6).
const WebSocketSubprotocol = "mqtt"

type transportKind int

const (
	transportTCP transportKind = iota
	transportTLS
	transportWS
	transportWSS
)

func schemeKind(scheme string) (transportKind, error) {
	switch strings.ToLower(scheme) {
	case "tcp", "mqtt":
		return transportTCP, nil
	case "tls", "ssl", "mqtts", "tcps":
		return transportTLS, nil
	case "ws":
		return transportWS, nil
	case "wss":
		return transportWSS, nil
	}
	return 0, fmt.Errorf("mqttx: unsupported server URL scheme %q (want tcp, mqtt, tls, ssl, mqtts, ws or wss)", scheme)
}

var defaultPorts = [...]string{transportTCP: "1883", transportTLS: "8883", transportWS: "80", transportWSS: "443"}

// DialServer opens a network connection to an MQTT server URL, honouring ctx for the whole dial
// (TCP, TLS handshake, WebSocket upgrade): tcp:// and mqtt:// dial TCP; tls://, ssl://, mqtts:// add
// TLS with a clone of tlsConfig (nil: system roots; one that skips verification or allows a version
// below TLS 1.2 is refused with ErrInsecureTLS); ws:// and wss:// upgrade to a WebSocket with the
// subprotocol "mqtt", sending header, and the returned net.Conn carries MQTT in binary frames.
// Adapters use it inside Options.Dial.
func DialServer(ctx context.Context, server string, tlsConfig *tls.Config, header http.Header) (net.Conn, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("mqttx: invalid server URL: %w", err)
	}
	kind, err := schemeKind(u.Scheme)
	if err != nil {
		return nil, err
	}
	if err := checkTLS(tlsConfig); err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), defaultPorts[kind])
	}
	var d net.Dialer
	switch kind {
	case transportTCP:
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return nil, fmt.Errorf("mqttx: dial %s: %w", host, err)
		}
		return c, nil
	case transportTLS:
		td := tls.Dialer{NetDialer: &d, Config: cloneTLS(tlsConfig)}
		c, err := td.DialContext(ctx, "tcp", host)
		if err != nil {
			return nil, fmt.Errorf("mqttx: dial %s: %w", host, err)
		}
		return c, nil
	default:
		wsURL := *u
		wsURL.Scheme = "ws"
		if kind == transportWSS {
			wsURL.Scheme = "wss"
		}
		wsURL.Host = host
		return dialWebSocket(ctx, wsURL.String(), cloneTLS(tlsConfig), header)
	}
}

func cloneTLS(c *tls.Config) *tls.Config {
	if c == nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c = c.Clone()
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12 // Go's client default too, but explicit
	}
	return c
}

func dialWebSocket(ctx context.Context, wsURL string, tlsConfig *tls.Config, header http.Header) (net.Conn, error) {
	d := websocket.Dialer{
		NetDialContext:  (&net.Dialer{}).DialContext,
		TLSClientConfig: tlsConfig,
		Subprotocols:    []string{WebSocketSubprotocol},
		Proxy:           nil, // never leave loopback/target because of environment proxies
	}
	ws, resp, err := d.DialContext(ctx, wsURL, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		status := ""
		if resp != nil {
			status = " (HTTP " + resp.Status + ")"
		}
		return nil, fmt.Errorf("mqttx: WebSocket dial %s%s: %w", redactURL(wsURL), status, err)
	}
	if ws.Subprotocol() != WebSocketSubprotocol {
		ws.Close()
		return nil, fmt.Errorf("mqttx: WebSocket server at %s did not accept subprotocol %q", redactURL(wsURL), WebSocketSubprotocol)
	}
	return &wsConn{ws: ws}, nil
}

// redactURL drops the query (presigned URLs carry signatures and tokens) and user info.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}

// wsConn adapts a WebSocket to net.Conn: every Write is one binary message, and Read streams the
// payloads of consecutive messages (MQTT packets may be split across frames or share one).
type wsConn struct {
	ws *websocket.Conn

	rmu sync.Mutex // one reader at a time (paho has one, but be safe)
	r   io.Reader

	wmu sync.Mutex // gorilla allows one concurrent writer; paho's keepalive writes concurrently
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, errors.New("mqttx: WebSocket text frame received; MQTT requires binary frames")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error                       { return c.ws.Close() }
func (c *wsConn) LocalAddr() net.Addr                { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr               { return c.ws.RemoteAddr() }
func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }
func (c *wsConn) SetDeadline(t time.Time) error {
	if err := c.ws.SetReadDeadline(t); err != nil {
		return err
	}
	return c.ws.SetWriteDeadline(t)
}
