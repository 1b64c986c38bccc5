package mqttxtest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func TestConnectAccepted(t *testing.T) {
	b := NewBroker(t)
	dial(t, b).mustConnect("dev1", true, false)
	if err := b.WaitConnected(ctxTimeout(t), "dev1"); err != nil {
		t.Fatal(err)
	}
	if got := b.Clients(); len(got) != 1 || got[0] != "dev1" {
		t.Fatalf("Clients() = %v, want [dev1]", got)
	}
	// The writer counts a packet once its Write returns, which may be after the client read it.
	eventually(t, "1 connect, 1 packet in and out", func() bool {
		s := b.Stats()
		return s.Connects == 1 && s.PacketsIn == 1 && s.PacketsOut == 1
	})
}

func TestConnectMQTT31(t *testing.T) {
	b := NewBroker(t)
	p := connectPacket("old", true)
	p.ProtocolName, p.ProtocolVersion = "MQIsdp", 3
	if ack := dial(t, b).connect(p); ack.ReturnCode != 0 {
		t.Fatalf("CONNACK code %d, want 0", ack.ReturnCode)
	}
}

func TestConnectAssignsClientID(t *testing.T) {
	b := NewBroker(t)
	dial(t, b).mustConnect("", true, false)
	if got := b.Clients(); len(got) != 1 || !strings.HasPrefix(got[0], "auto-") {
		t.Fatalf("Clients() = %v, want one auto- id", got)
	}
}

func TestConnectRefused(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		packet func(*packets.ConnectPacket)
		code   byte
	}{
		{"protocol level 5", nil, func(p *packets.ConnectPacket) { p.ProtocolVersion = 5 }, packets.ErrRefusedBadProtocolVersion},
		{"MQIsdp level 4", nil, func(p *packets.ConnectPacket) { p.ProtocolName = "MQIsdp" }, packets.ErrRefusedBadProtocolVersion},
		{"empty id persistent", nil, func(p *packets.ConnectPacket) { p.ClientIdentifier, p.CleanSession = "", false }, packets.ErrRefusedIDRejected},
		{"invalid UTF-8 id", nil, func(p *packets.ConnectPacket) { p.ClientIdentifier = "a\xffb" }, packets.ErrRefusedIDRejected},
		{"authenticator", []Option{WithAuthenticator(func(ConnectInfo) byte { return packets.ErrRefusedNotAuthorised })}, nil, packets.ErrRefusedNotAuthorised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(t, tt.opts...)
			p := connectPacket("dev1", true)
			if tt.packet != nil {
				tt.packet(p)
			}
			c := dial(t, b)
			ack := c.connect(p)
			if ack.ReturnCode != tt.code || ack.SessionPresent {
				t.Fatalf("CONNACK code %d present %t, want %d false", ack.ReturnCode, ack.SessionPresent, tt.code)
			}
			c.expectClosed()
			if s := b.Stats(); s.ConnectsRefused != 1 || s.Connects != 0 {
				t.Fatalf("Stats() = %+v, want 1 refused 0 accepted", s)
			}
		})
	}
}

// A malformed CONNECT closes the connection without CONNACK (MQTT 3.1.1 §3.1.4).
func TestConnectProtocolViolation(t *testing.T) {
	tests := []struct {
		name  string
		first packets.ControlPacket
	}{
		{"not CONNECT first", packets.NewControlPacket(packets.Pingreq)},
		{"unknown protocol name", func() packets.ControlPacket { p := connectPacket("d", true); p.ProtocolName = "HTTP"; return p }()},
		{"password without user name", func() packets.ControlPacket {
			p := connectPacket("d", true)
			p.PasswordFlag, p.Password = true, []byte("x")
			return p
		}()},
		{"will QoS without will", func() packets.ControlPacket { p := connectPacket("d", true); p.WillQos = 1; return p }()},
		{"will topic with wildcard", func() packets.ControlPacket {
			p := connectPacket("d", true)
			p.WillFlag, p.WillTopic = true, "a/#"
			return p
		}()},
		{"will QoS 3", func() packets.ControlPacket {
			p := connectPacket("d", true)
			p.WillFlag, p.WillTopic, p.WillQos = true, "w", 3
			return p
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(t)
			c := dial(t, b)
			c.send(tt.first)
			c.expectClosed()
		})
	}
}

// paho's encoder does not write the reserved flag, so this CONNECT is patched by hand.
func TestConnectReservedFlagCloses(t *testing.T) {
	b := NewBroker(t)
	var buf bytes.Buffer
	if err := connectPacket("d", true).Write(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	const flags = 2 + 6 + 1 // fixed header, protocol name, level
	raw[flags] |= 1
	c := dial(t, b)
	if _, err := c.conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	c.expectClosed()
}

func TestConnectSecondCONNECTCloses(t *testing.T) {
	b := NewBroker(t)
	c := dial(t, b).mustConnect("dev1", true, false)
	c.send(connectPacket("dev1", true))
	c.expectClosed()
}

func TestAuthenticatorSeesConnectInfo(t *testing.T) {
	got := make(chan ConnectInfo, 1)
	b := NewBroker(t, WithAuthenticator(func(ci ConnectInfo) byte { got <- ci; return 0 }))
	p := connectPacket("dev1", false)
	p.UsernameFlag, p.Username = true, "hub/dev1/?api-version=2021-04-12"
	p.PasswordFlag, p.Password = true, []byte("SharedAccessSignature sr=x")
	p.Keepalive = 42
	c := dial(t, b)
	if ack := c.connect(p); ack.ReturnCode != 0 {
		t.Fatalf("CONNACK code %d", ack.ReturnCode)
	}
	ci := <-got
	if ci.ClientID != "dev1" || ci.Username != p.Username || !bytes.Equal(ci.Password, p.Password) || !ci.HasPassword ||
		ci.CleanSession || ci.KeepAlive != 42 || ci.ProtocolLevel != 4 || ci.PeerCertificates != nil ||
		ci.RemoteAddr.String() != c.conn.LocalAddr().String() {
		t.Fatalf("ConnectInfo = %+v", ci)
	}
}

func TestRefuseConnect(t *testing.T) {
	b := NewBroker(t)
	b.RefuseConnect(packets.ErrRefusedServerUnavailable, 2)
	for i := 0; i < 2; i++ {
		c := dial(t, b)
		if ack := c.connect(connectPacket("dev1", true)); ack.ReturnCode != packets.ErrRefusedServerUnavailable {
			t.Fatalf("attempt %d: CONNACK code %d, want 3", i, ack.ReturnCode)
		}
		c.expectClosed()
	}
	dial(t, b).mustConnect("dev1", true, false)

	b.RefuseConnect(packets.ErrRefusedNotAuthorised, -1)
	for i := 0; i < 3; i++ {
		if ack := dial(t, b).connect(connectPacket("dev2", true)); ack.ReturnCode != packets.ErrRefusedNotAuthorised {
			t.Fatalf("attempt %d: CONNACK code %d, want 5", i, ack.ReturnCode)
		}
	}
	b.RefuseConnect(packets.ErrRefusedNotAuthorised, 0)
	dial(t, b).mustConnect("dev2", true, false)
}

func TestTakeover(t *testing.T) {
	b := NewBroker(t)
	watcher := dial(t, b).mustConnect("watcher", true, false)
	watcher.subscribe("will/#", 0, 0)
	p := connectPacket("dev1", true)
	p.WillFlag, p.WillTopic, p.WillMessage = true, "will/dev1", []byte("gone")
	first := dial(t, b)
	first.connect(p)
	second := dial(t, b).mustConnect("dev1", true, false)
	first.expectClosed()
	watcher.expectPublish("will/dev1", "gone", 0, false, false)
	second.send(packets.NewControlPacket(packets.Pingreq))
	expect[*packets.PingrespPacket](second)
	if s := b.Stats(); s.Takeovers != 1 || s.Connects != 3 || s.Disconnects != 1 {
		t.Fatalf("Stats() = %+v, want 1 takeover, 3 connects, 1 disconnect", s)
	}
	if got := b.Clients(); len(got) != 2 {
		t.Fatalf("Clients() = %v, want watcher and dev1", got)
	}
}

func TestWaitConnected(t *testing.T) {
	b := NewBroker(t)
	errc := make(chan error, 1)
	go func() { errc <- b.WaitConnected(ctxTimeout(t), "late") }()
	dial(t, b).mustConnect("other", true, false)
	dial(t, b).mustConnect("late", true, false)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := b.WaitDisconnected(ctxTimeout(t), "never"); err != nil {
		t.Fatalf("WaitDisconnected(never) = %v", err)
	}
	errc = make(chan error, 1)
	go func() { errc <- b.WaitDisconnected(ctxTimeout(t), "late") }()
	b.Disconnect("late")
	if err := <-errc; err != nil {
		t.Fatalf("WaitDisconnected(late) = %v", err)
	}
	ctx, cancel := ctxWithCancel()
	cancel()
	if err := b.WaitConnected(ctx, "never"); !errors.Is(err, ctx.Err()) {
		t.Fatalf("WaitConnected = %v, want context canceled", err)
	}
	_ = b.Close()
	if err := b.WaitConnected(ctxTimeout(t), "never"); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitConnected after Close = %v, want ErrClosed", err)
	}
}
