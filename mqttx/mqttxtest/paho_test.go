package mqttxtest

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tether-iot/tether/internal/leakcheck"
)

// TestPahoClient runs paho's full client over every transport: a round trip at QoS 1, a persistent
// session resumed after a broker-side drop, and a clean disconnect.
func TestPahoClient(t *testing.T) {
	leakcheck.Check(t)
	b := NewBroker(t, WithTLS(), WithWebSocket(""), WithWebSocketTLS("/mqtt"))
	tests := []struct {
		name   string
		server string
		pipe   bool
	}{
		{"tcp", b.URL(), false},
		{"tls", b.TLSURL(), false},
		{"ws", b.WSURL(), false},
		{"wss", b.WSSURL(), false},
		{"pipe", "tcp://pipe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "paho-" + tt.name
			got := make(chan paho.Message, 10)
			opts := paho.NewClientOptions().AddBroker(tt.server).SetClientID(id).
				SetTLSConfig(b.ClientTLSConfig()).SetCleanSession(false).SetAutoReconnect(true).
				SetConnectRetryInterval(10 * time.Millisecond).SetMaxReconnectInterval(50 * time.Millisecond).
				SetOrderMatters(false)
			if tt.pipe {
				opts.SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) {
					return b.DialPipe(context.Background())
				})
			}
			cl := paho.NewClient(opts)
			wait := func(tok paho.Token) {
				t.Helper()
				if !tok.WaitTimeout(timeout) || tok.Error() != nil {
					t.Fatalf("token: %v", tok.Error())
				}
			}
			wait(cl.Connect())
			defer cl.Disconnect(100)
			wait(cl.Subscribe("echo/"+tt.name, 1, func(_ paho.Client, m paho.Message) { got <- m }))
			wait(cl.Publish("echo/"+tt.name, 1, false, "hello"))
			select {
			case m := <-got:
				if string(m.Payload()) != "hello" || m.Qos() != 1 {
					t.Fatalf("got %q QoS %d", m.Payload(), m.Qos())
				}
			case <-time.After(timeout):
				t.Fatal("no message")
			}

			// Drop the connection; the resumed session delivers what was published meanwhile (and
			// "hello" again, with DUP, if its PUBACK had not arrived yet).
			b.Disconnect(id)
			_ = b.Publish("echo/"+tt.name, []byte("while away"), 1, false)
			for {
				select {
				case m := <-got:
					if string(m.Payload()) == "hello" && m.Duplicate() {
						continue
					}
					if string(m.Payload()) != "while away" {
						t.Fatalf("got %q dup %t", m.Payload(), m.Duplicate())
					}
				case <-time.After(timeout):
					t.Fatal("no message after reconnect")
				}
				break
			}
		})
	}
}
