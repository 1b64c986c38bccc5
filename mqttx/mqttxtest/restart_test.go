package mqttxtest

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tether-iot/tether/internal/leakcheck"
)

// restartDown is how long the tests keep the broker down.
const restartDown = 300 * time.Millisecond

// hostPort returns the "127.0.0.1:PORT" of a broker URL.
func hostPort(url string) string {
	hp := url[strings.Index(url, "://")+3:]
	if i := strings.IndexByte(hp, '/'); i >= 0 {
		hp = hp[:i]
	}
	return hp
}

// dialKind opens a raw client on one of the broker's listeners: tcp, tls, ws or wss.
func dialKind(t *testing.T, b *Broker, kind string) (*client, error) {
	t.Helper()
	switch kind {
	case "tcp":
		conn, err := net.DialTimeout("tcp", hostPort(b.URL()), timeout)
		if err != nil {
			return nil, err
		}
		return newClient(t, conn), nil
	case "tls":
		return dialTLS(t, b, b.ClientTLSConfig())
	case "ws", "wss":
		url := b.WSURL()
		if kind == "wss" {
			url = b.WSSURL()
		}
		ws, _, err := dialWS(t, url, b.ClientTLSConfig(), "mqtt")
		if err != nil {
			return nil, err
		}
		return newClient(t, &wsConn{ws: ws}), nil // the broker's adapter works for a client too
	}
	t.Fatalf("unknown transport %q", kind)
	return nil, nil
}

// expectRefused asserts that a TCP dial to addr is refused (the port is closed), not accepted or
// left to time out.
func expectRefused(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err == nil {
		_ = conn.Close()
		t.Fatalf("dial %s succeeded while the broker is down", addr)
	}
	// Windows reports WSAECONNREFUSED, which is not syscall.ECONNREFUSED.
	if runtime.GOOS != "windows" && !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s while down: %v, want connection refused", addr, err)
	}
}

// Restart closes every connection on every transport, refuses connections while down, and comes back on
// the same ports; persistent sessions, retained messages and wills survive it as they do on mosquitto
// with persistence, clean sessions do not.
func TestRestart(t *testing.T) {
	leakcheck.Check(t)
	b := NewBroker(t, WithTLS(), WithWebSocket(""), WithWebSocketTLS(""))
	kinds := []string{"tcp", "tls", "ws", "wss"}
	urls := []string{b.URL(), b.TLSURL(), b.WSURL(), b.WSSURL()}

	// A persistent subscriber holding an unacknowledged message.
	sub := dial(t, b).mustConnect("sub", false, false)
	sub.subscribe("wills/#", 1, 1)
	sub.subscribe("cmd", 1, 1)
	if err := b.Publish("cmd", []byte("reboot"), 1, false); err != nil {
		t.Fatal(err)
	}
	sub.expectPublish("cmd", "reboot", 1, false, false) // not acknowledged
	// A clean client with a will and a subscription, a retained message, and a client on each transport.
	willer := dial(t, b)
	p := connectPacket("willer", true)
	p.WillFlag, p.WillTopic, p.WillMessage, p.WillQos = true, "wills/willer", []byte("gone"), 1
	if ack := willer.connect(p); ack.ReturnCode != 0 {
		t.Fatalf("CONNACK %d", ack.ReturnCode)
	}
	willer.subscribe("cmd", 1, 1)
	if err := b.Publish("status", []byte("up"), 1, true); err != nil {
		t.Fatal(err)
	}
	clients := []*client{sub, willer}
	for _, k := range kinds {
		c, err := dialKind(t, b, k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		clients = append(clients, c.mustConnect("on-"+k, true, false))
	}

	ctx := ctxTimeout(t)
	start := time.Now()
	restarted := make(chan error, 1)
	go func() { restarted <- b.Restart(ctx, restartDown) }()

	// Down: every connection closed without a packet, every port closed.
	for _, c := range clients {
		c.expectClosed()
	}
	for _, u := range urls {
		expectRefused(t, hostPort(u))
	}
	if got := b.Clients(); len(got) != 0 {
		t.Errorf("Clients() while down = %v, want none", got)
	}
	if _, err := b.DialPipe(ctx); !errors.Is(err, ErrDown) {
		t.Errorf("DialPipe while down: %v, want ErrDown", err)
	}
	if err := b.Publish("cmd", []byte("x"), 1, false); !errors.Is(err, ErrDown) {
		t.Errorf("Publish while down: %v, want ErrDown", err)
	}
	if err := b.PublishTo("sub", "cmd", []byte("x"), 1); !errors.Is(err, ErrDown) {
		t.Errorf("PublishTo while down: %v, want ErrDown", err)
	}

	if err := <-restarted; err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if elapsed := time.Since(start); elapsed < restartDown {
		t.Errorf("Restart returned after %v, want at least %v down", elapsed, restartDown)
	}
	if got := []string{b.URL(), b.TLSURL(), b.WSURL(), b.WSSURL()}; strings.Join(got, " ") != strings.Join(urls, " ") {
		t.Errorf("URLs after Restart = %v, want %v", got, urls)
	}

	// Up again on the same ports, every transport.
	for _, k := range kinds {
		c, err := dialKind(t, b, k)
		if err != nil {
			t.Fatalf("%s after Restart: %v", k, err)
		}
		c.mustConnect("on-"+k, true, false)
	}
	// The persistent session resumes: the unacknowledged message again with DUP, then the will that
	// was queued for it.
	sub = dial(t, b).mustConnect("sub", false, true)
	got := sub.expectPublish("cmd", "reboot", 1, false, true)
	sub.send(puback(got.MessageID))
	got = sub.expectPublish("wills/willer", "gone", 1, false, false)
	sub.send(puback(got.MessageID))
	// The clean session is gone: a message for its old subscription does not reach it.
	willer = dial(t, b).mustConnect("willer", true, false)
	if err := b.Publish("cmd", []byte("again"), 1, false); err != nil {
		t.Fatal(err)
	}
	sub.expectPublish("cmd", "again", 1, false, false)
	willer.expectNothing(100 * time.Millisecond)
	// The retained message is kept.
	late := dial(t, b).mustConnect("late", true, false)
	late.subscribe("status", 1, 1)
	late.expectPublish("status", "up", 1, true, false)

	if s := b.Stats(); s.Restarts != 1 {
		t.Errorf("Stats().Restarts = %d, want 1", s.Restarts)
	}
}

// A client with automatic reconnection (paho's) finds the broker again after a restart and resumes its
// persistent session.
func TestRestartClientReconnects(t *testing.T) {
	leakcheck.Check(t)
	b := NewBroker(t)
	got := make(chan paho.Message, 10)
	lost := make(chan struct{}, 1)
	opts := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("dev").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetryInterval(10 * time.Millisecond).
		SetMaxReconnectInterval(50 * time.Millisecond).SetOrderMatters(false).
		SetConnectionLostHandler(func(paho.Client, error) {
			select {
			case lost <- struct{}{}:
			default:
			}
		})
	cl := paho.NewClient(opts)
	wait := func(tok paho.Token) {
		t.Helper()
		if !tok.WaitTimeout(timeout) || tok.Error() != nil {
			t.Fatalf("token: %v", tok.Error())
		}
	}
	wait(cl.Connect())
	defer cl.Disconnect(100)
	wait(cl.Subscribe("cmd", 1, func(_ paho.Client, m paho.Message) { got <- m }))

	ctx := ctxTimeout(t)
	start := time.Now()
	if err := b.Restart(ctx, restartDown); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	select {
	case <-lost:
	case <-time.After(timeout):
		t.Fatal("the client did not notice the restart")
	}
	if err := b.WaitConnected(ctx, "dev"); err != nil {
		t.Fatalf("the client did not reconnect: %v", err)
	}
	if s := b.Stats(); s.Connects != 2 {
		t.Errorf("Stats().Connects = %d, want 2 (no connection while down)", s.Connects)
	}
	t.Logf("reconnected %v after Restart was called (down %v)", time.Since(start).Round(time.Millisecond), restartDown)
	// The subscription came through the restart in the persistent session.
	if err := b.Publish("cmd", []byte("after"), 1, false); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Payload()) != "after" {
			t.Fatalf("got %q", m.Payload())
		}
	case <-time.After(timeout):
		t.Fatal("no message after the restart")
	}
}

// A cancelled ctx ends the downtime early and leaves the broker up; Close ends a Restart waiting while
// down; Restart after Close fails.
func TestRestartEndsEarly(t *testing.T) {
	leakcheck.Check(t)
	t.Run("ctx cancelled while down", func(t *testing.T) {
		b := NewBroker(t, WithWebSocket(""))
		c := dial(t, b).mustConnect("dev", true, false)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		restarted := make(chan error, 1)
		go func() { restarted <- b.Restart(ctx, time.Hour) }()
		c.expectClosed()
		expectRefused(t, hostPort(b.URL()))
		cancel()
		select {
		case err := <-restarted:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Restart = %v, want context.Canceled", err)
			}
		case <-time.After(timeout):
			t.Fatal("Restart still waiting after its ctx was cancelled")
		}
		dial(t, b).mustConnect("dev", true, false)
		if _, err := dialKind(t, b, "ws"); err != nil {
			t.Fatalf("ws after Restart: %v", err)
		}
	})
	t.Run("Close while down", func(t *testing.T) {
		b, err := Start()
		if err != nil {
			t.Fatal(err)
		}
		c := dial(t, b).mustConnect("dev", true, false)
		restarted := make(chan error, 1)
		go func() { restarted <- b.Restart(context.Background(), time.Hour) }()
		c.expectClosed()
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-restarted:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("Restart = %v, want ErrClosed", err)
			}
		case <-time.After(timeout):
			t.Fatal("Restart still waiting after Close")
		}
		expectRefused(t, hostPort(b.URL()))
		if err := b.Restart(context.Background(), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("Restart after Close = %v, want ErrClosed", err)
		}
	})
}

// Concurrent Restarts run one after the other, each taking the broker down.
func TestRestartConcurrent(t *testing.T) {
	leakcheck.Check(t)
	b := NewBroker(t, WithTLS())
	ctx := ctxTimeout(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- b.Restart(ctx, 20*time.Millisecond) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("Restart: %v", err)
		}
	}
	if s := b.Stats(); s.Restarts != 3 {
		t.Errorf("Stats().Restarts = %d, want 3", s.Restarts)
	}
	dial(t, b).mustConnect("dev", true, false)
	c, err := dialTLS(t, b, &tls.Config{RootCAs: b.CA(), ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("tls after Restart: %v", err) // the same CA still verifies the server certificate
	}
	c.mustConnect("dev-tls", true, false)
}
