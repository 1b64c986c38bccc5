package mqttx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"

	"github.com/tether-iot/tether/mqttx"
)

var clientSeq atomic.Int64

// testOptions returns options with fast backoff and a unique client id.
func testOptions(t *testing.T, server string) mqttx.Options {
	return mqttx.Options{
		Server:         server,
		ClientID:       fmt.Sprintf("mqttx-test-%d", clientSeq.Add(1)),
		MinBackoff:     10 * time.Millisecond,
		MaxBackoff:     100 * time.Millisecond,
		ConnectTimeout: 5 * time.Second,
		KeepAlive:      30 * time.Second,
	}
}

// newClient builds a client and disconnects it when the test ends.
func newClient(t *testing.T, opts mqttx.Options) *mqttx.Client {
	t.Helper()
	c, err := mqttx.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Disconnect(ctx); err != nil && !errors.Is(err, mqttx.ErrClosed) {
			t.Errorf("Disconnect: %v", err)
		}
	})
	return c
}

func connect(t *testing.T, c *mqttx.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
}

func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// inbox collects messages delivered to a handler.
type inbox struct {
	ch chan mqttx.Message
}

func newInbox() *inbox { return &inbox{ch: make(chan mqttx.Message, 1000)} }

func (b *inbox) handler(_ context.Context, m mqttx.Message) { b.ch <- m }

func (b *inbox) next(t *testing.T) mqttx.Message {
	t.Helper()
	select {
	case m := <-b.ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return mqttx.Message{}
	}
}

func (b *inbox) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-b.ch:
		t.Fatalf("unexpected message on %q", m.Topic)
	case <-time.After(d):
	}
}

// eventLog records events and lets tests wait for one.
type eventLog struct {
	mu     sync.Mutex
	events []mqttx.Event
	notify chan struct{}
}

func newEventLog() *eventLog { return &eventLog{notify: make(chan struct{}, 1)} }

func (l *eventLog) record(e mqttx.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *eventLog) snapshot() []mqttx.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mqttx.Event(nil), l.events...)
}

func (l *eventLog) count(kind mqttx.EventKind) int {
	n := 0
	for _, e := range l.snapshot() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// waitCount waits until at least n events of kind were recorded and returns the n-th.
func (l *eventLog) waitCount(t *testing.T, kind mqttx.EventKind, n int) mqttx.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		seen := 0
		for _, e := range l.snapshot() {
			if e.Kind == kind {
				seen++
				if seen == n {
					return e
				}
			}
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no %d-th %v event within 10s; events: %v", n, kind, l.kinds())
		}
	}
}

func (l *eventLog) kinds() []string {
	var out []string
	for _, e := range l.snapshot() {
		out = append(out, e.Kind.String())
	}
	return out
}

// proxy is a loopback TCP proxy that can cut all its connections, freeze the server-to-client
// direction and decode the MQTT packets clients send.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   []net.Conn
	packets []packets.ControlPacket // client -> server
	frozen  bool
	thaw    chan struct{}
	wg      sync.WaitGroup
}

func newProxy(t *testing.T, targetURL string) *proxy {
	t.Helper()
	u, err := url.Parse(targetURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: u.Host, thaw: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.Freeze(false)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) URL() string { return "tcp://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { // client -> server, decoding packets
			defer p.wg.Done()
			defer s.Close()
			pr, pw := io.Pipe()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					pkt, err := packets.ReadPacket(pr)
					if err != nil {
						io.Copy(io.Discard, pr)
						return
					}
					p.mu.Lock()
					p.packets = append(p.packets, pkt)
					p.mu.Unlock()
				}
			}()
			io.Copy(io.MultiWriter(s, pw), c)
			pw.Close()
			<-done
		}()
		go func() { // server -> client, freezable
			defer p.wg.Done()
			defer c.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					p.waitThawed()
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (p *proxy) waitThawed() {
	p.mu.Lock()
	frozen, thaw := p.frozen, p.thaw
	p.mu.Unlock()
	if frozen {
		<-thaw
	}
}

// Freeze stops (or resumes) forwarding from server to client.
func (p *proxy) Freeze(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && !p.frozen {
		p.frozen, p.thaw = true, make(chan struct{})
	} else if !on && p.frozen {
		p.frozen = false
		close(p.thaw)
	}
}

// Cut closes every proxied connection (the server sees the client vanish, the client sees EOF).
func (p *proxy) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// subscribes returns the filters of every SUBSCRIBE packet seen so far, one slice per packet.
func (p *proxy) subscribes() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]string
	for _, pkt := range p.packets {
		if s, ok := pkt.(*packets.SubscribePacket); ok {
			out = append(out, append([]string(nil), s.Topics...))
		}
	}
	return out
}

// waitSubscribes waits briefly until n SUBSCRIBE packets were decoded (decoding trails forwarding)
// and returns all seen so far.
func (p *proxy) waitSubscribes(n int) [][]string {
	deadline := time.Now().Add(2 * time.Second)
	for len(p.subscribes()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let any unexpected extra packet show up
	return p.subscribes()
}

// connects returns the CONNECT packets seen so far.
func (p *proxy) connects() []*packets.ConnectPacket {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*packets.ConnectPacket
	for _, pkt := range p.packets {
		if c, ok := pkt.(*packets.ConnectPacket); ok {
			out = append(out, c)
		}
	}
	return out
}

// fakeServer answers CONNECT with the return code chosen by codeFor(attempt) (1-based) and records
// each CONNECT's credentials; after an accepted CONNECT it answers PINGREQ and SUBSCRIBE minimally
// (refusing filters under denied/).
type fakeServer struct {
	ln      net.Listener
	codeFor func(attempt int) byte

	mu        sync.Mutex
	attempts  int
	usernames []string
	passwords []string
	protocol  []byte
	wg        sync.WaitGroup
}

func newFakeServer(t *testing.T, codeFor func(attempt int) byte) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, codeFor: codeFor}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) URL() string { return "tcp://" + f.ln.Addr().String() }

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	pkt, err := packets.ReadPacket(c)
	if err != nil {
		return
	}
	cp, ok := pkt.(*packets.ConnectPacket)
	if !ok {
		return
	}
	f.mu.Lock()
	f.attempts++
	attempt := f.attempts
	f.usernames = append(f.usernames, cp.Username)
	f.passwords = append(f.passwords, string(cp.Password))
	f.protocol = append(f.protocol, cp.ProtocolVersion)
	f.mu.Unlock()
	ack := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
	ack.ReturnCode = f.codeFor(attempt)
	if err := ack.Write(c); err != nil || ack.ReturnCode != 0 {
		return
	}
	for {
		pkt, err := packets.ReadPacket(c)
		if err != nil {
			return
		}
		switch p := pkt.(type) {
		case *packets.PingreqPacket:
			_ = packets.NewControlPacket(packets.Pingresp).Write(c)
		case *packets.SubscribePacket:
			sa := packets.NewControlPacket(packets.Suback).(*packets.SubackPacket)
			sa.MessageID = p.MessageID
			for i, f := range p.Topics {
				code := p.Qoss[i]
				if strings.HasPrefix(f, "denied/") {
					code = 0x80
				}
				sa.ReturnCodes = append(sa.ReturnCodes, code)
			}
			_ = sa.Write(c)
		case *packets.DisconnectPacket:
			return
		}
	}
}

func (f *fakeServer) credentials() (users, passwords []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.usernames...), append([]string(nil), f.passwords...)
}

// silentServer accepts TCP connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "tcp://" + ln.Addr().String()
}

// wsBridge is a WebSocket server that relays binary frames to a TCP MQTT broker. It records the
// request headers and sends server bytes to the client one byte per frame (MQTT packets split
// across frames).
type wsBridge struct {
	srv     *http.Server
	ln      net.Listener
	headers chan http.Header
	wg      sync.WaitGroup
}

func newWSBridge(t *testing.T, brokerURL string) *wsBridge {
	t.Helper()
	u, _ := url.Parse(brokerURL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &wsBridge{ln: ln, headers: make(chan http.Header, 10)}
	up := websocket.Upgrader{Subprotocols: []string{"mqtt"}}
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mqtt" {
			http.NotFound(w, r)
			return
		}
		b.headers <- r.Header.Clone()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		tcp, err := net.Dial("tcp", u.Host)
		if err != nil {
			return
		}
		defer tcp.Close()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer ws.Close()
			buf := make([]byte, 4096)
			for {
				n, err := tcp.Read(buf)
				for i := 0; i < n; i++ {
					if ws.WriteMessage(websocket.BinaryMessage, buf[i:i+1]) != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		for {
			typ, data, err := ws.ReadMessage()
			if err != nil || typ != websocket.BinaryMessage {
				return
			}
			if _, err := io.Copy(tcp, bytes.NewReader(data)); err != nil {
				return
			}
		}
	})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		_ = b.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
		b.srv.Close()
		b.wg.Wait()
	})
	return b
}

func (b *wsBridge) URL() string { return "ws://" + b.ln.Addr().String() + "/mqtt" }

func joinFilters(batches [][]string) string {
	var parts []string
	for _, b := range batches {
		parts = append(parts, strings.Join(b, ","))
	}
	return strings.Join(parts, " | ")
}
