package securitytest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/mqtt"
)

// tlsServer accepts TLS connections between two versions, records each
// handshake and closes the connection: enough to see what a client
// negotiates.
type tlsServer struct {
	addr    string
	pool    *x509.CertPool // trusts the server's certificate
	results chan handshake
	first   chan struct{} // closed after the first handshake
}

type handshake struct {
	version uint16
	err     error
}

func startTLSServer(t *testing.T, minVersion, maxVersion uint16) *tlsServer {
	t.Helper()
	ca, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCert("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   minVersion, // below TLS 1.2 on purpose: the clients must refuse it
		MaxVersion:   maxVersion,
		NextProtos:   []string{awsiot.ALPNX509, awsiot.ALPNCustomAuthorizer, "http/1.1"},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsServer{addr: ln.Addr().String(), pool: ca.Pool(), results: make(chan handshake, 1024), first: make(chan struct{})}
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				tc := tls.Server(c, cfg)
				err := tc.Handshake()
				select {
				case s.results <- handshake{tc.ConnectionState().Version, err}:
				default:
				}
				once.Do(func() { close(s.first) })
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return s
}

// context returns a context that ends shortly after the server's first
// handshake: the client has then made (and finished) its first attempt.
func (s *tlsServer) context(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	go func() {
		select {
		case <-s.first:
			time.Sleep(300 * time.Millisecond)
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx
}

// tlsClient is one way tether dials TLS, through its exported
// constructors; connect makes attempts until ctx ends and returns the
// error.
type tlsClient struct {
	name    string
	connect func(ctx context.Context, s *tlsServer) error
	// systemRoots: the client trusts the system's roots only, so it must
	// refuse the test server's certificate.
	systemRoots bool
}

const backoff = 20 * time.Millisecond

func tlsClients(t *testing.T) []tlsClient {
	ca, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	deviceCert, err := ca.ClientCert("thing1")
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(randomBytes(t, 32))
	creds := awsiot.Credentials{AccessKeyID: "AKIATEST", SecretAccessKey: randomHex(t, 20)}
	aws := func(mod func(*awsiot.Config)) func(context.Context, *tlsServer) error {
		return func(ctx context.Context, s *tlsServer) error {
			cfg := awsiot.Config{Endpoint: "localhost", Address: s.addr, ThingName: "thing1", RootCAs: s.pool,
				Certificate: &deviceCert, MinBackoff: backoff, MaxBackoff: backoff}
			mod(&cfg)
			return connectAdapter(ctx, func() (adapter, error) { return awsiot.New(cfg) })
		}
	}
	azure := func(server string, ws bool) func(context.Context, *tlsServer) error {
		return func(ctx context.Context, s *tlsServer) error {
			cfg := azureiot.Config{HostName: "hub.azure-devices.net", DeviceID: "dev1", SharedAccessKey: key,
				Server: strings.Replace(server, "ADDR", s.addr, 1), WebSocket: ws, RootCAs: s.pool,
				MinBackoff: backoff, MaxBackoff: backoff}
			return connectAdapter(ctx, func() (adapter, error) { return azureiot.New(cfg) })
		}
	}
	plain := func(server string) func(context.Context, *tlsServer) error {
		return func(ctx context.Context, s *tlsServer) error {
			cfg := mqtt.Config{Server: strings.Replace(server, "ADDR", s.addr, 1), DeviceID: "gw1",
				TLSConfig: &tls.Config{RootCAs: s.pool}, MinBackoff: backoff, MaxBackoff: backoff}
			return connectAdapter(ctx, func() (adapter, error) { return mqtt.New(cfg) })
		}
	}
	raw := func(server string, tc *tls.Config) func(context.Context, *tlsServer) error {
		return func(ctx context.Context, s *tlsServer) error {
			var c *tls.Config
			if tc != nil {
				c = tc.Clone()
				c.RootCAs, c.ServerName = s.pool, "127.0.0.1"
			}
			opts := mqttx.Options{Server: strings.Replace(server, "ADDR", s.addr, 1), ClientID: "c1", TLSConfig: c,
				MinBackoff: backoff, MaxBackoff: backoff}
			return connectAdapter(ctx, func() (adapter, error) { return mqttx.New(opts) })
		}
	}
	return []tlsClient{
		{name: "awsiot X.509 (8883)", connect: aws(func(*awsiot.Config) {})},
		{name: "awsiot X.509 (443, ALPN)", connect: aws(func(c *awsiot.Config) { c.Port = awsiot.PortHTTPS })},
		{name: "awsiot WebSocket SigV4", connect: aws(func(c *awsiot.Config) {
			c.Auth, c.Certificate, c.Region = awsiot.AuthWebSocket, nil, "us-east-1"
			c.CredentialsProvider = func(context.Context) (awsiot.Credentials, error) { return creds, nil }
		})},
		{name: "awsiot custom authorizer", connect: aws(func(c *awsiot.Config) {
			c.Auth, c.Certificate = awsiot.AuthCustomAuthorizer, nil
			c.Authorizer = awsiot.CustomAuthorizer{Name: "auth"}
		})},
		{name: "azureiot MQTT", connect: azure("mqtts://ADDR", false)},
		{name: "azureiot WebSocket", connect: azure("wss://ADDR"+azureiot.WebSocketPath, true)},
		{name: "mqtt tls://", connect: plain("tls://ADDR")},
		{name: "mqtt wss://", connect: plain("wss://ADDR/mqtt")},
		{name: "mqttx default TLS", connect: raw("tls://ADDR", nil), systemRoots: true},
		{name: "mqttx user TLS config", connect: raw("tls://ADDR", &tls.Config{})},
		{name: "mqttx wss://", connect: raw("wss://ADDR/mqtt", &tls.Config{})},
	}
}

// adapter is what the constructors return: a transport.Conn or an
// mqttx.Client.
type adapter interface {
	Connect(ctx context.Context) error
}

func connectAdapter(ctx context.Context, build func() (adapter, error)) error {
	a, err := build()
	if err != nil {
		return err
	}
	err = a.Connect(ctx)
	closeCtx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	switch c := a.(type) {
	case interface{ Close(context.Context) error }:
		_ = c.Close(closeCtx)
	case interface{ Disconnect(context.Context) error }:
		_ = c.Disconnect(closeCtx)
	}
	return err
}

// Every way tether dials TLS refuses a server that offers TLS 1.0 and 1.1
// only.
func TestTLSBelow12Refused(t *testing.T) {
	for _, c := range tlsClients(t) {
		t.Run(c.name, func(t *testing.T) {
			s := startTLSServer(t, tls.VersionTLS10, tls.VersionTLS11)
			err := c.connect(s.context(t), s)
			if err == nil {
				t.Fatal("connected over TLS 1.1")
			}
			if !strings.Contains(err.Error(), "protocol version") {
				t.Errorf("Connect = %v, want a protocol version failure", err)
			}
			attempts := 0
			for len(s.results) > 0 {
				h := <-s.results
				attempts++
				if h.err == nil {
					t.Errorf("handshake completed with version %#x", h.version)
				}
			}
			if attempts == 0 {
				t.Error("the server saw no handshake")
			}
		})
	}
}

// Every way tether dials TLS negotiates TLS 1.2 or later with a server
// that offers TLS 1.0 to 1.3 (and, trusting the system's roots only,
// refuses the test server's certificate).
func TestTLSNegotiates12OrLater(t *testing.T) {
	for _, c := range tlsClients(t) {
		t.Run(c.name, func(t *testing.T) {
			s := startTLSServer(t, tls.VersionTLS10, tls.VersionTLS13)
			_ = c.connect(s.context(t), s) // the server closes after the handshake
			completed, refused := 0, 0
			for len(s.results) > 0 {
				h := <-s.results
				if h.version != 0 && h.version < tls.VersionTLS12 {
					t.Errorf("negotiated version %#x", h.version)
				}
				switch {
				case h.err == nil:
					completed++
				case strings.Contains(h.err.Error(), "bad certificate"):
					refused++
				default:
					// The client gave up as ctx ended, mid-handshake.
					t.Logf("handshake failed: %v", h.err)
				}
			}
			switch {
			case c.systemRoots && (completed > 0 || refused == 0):
				t.Errorf("%d handshakes completed, %d refused the server's certificate: want every one refused", completed, refused)
			case !c.systemRoots && (completed == 0 || refused > 0):
				t.Errorf("%d handshakes completed, %d refused the server's certificate", completed, refused)
			}
		})
	}
}

// A weak TLS configuration given to the public API is refused: verification
// off, or a minimum version below TLS 1.2.
func TestWeakTLSConfigRefused(t *testing.T) {
	weak := []struct {
		name string
		cfg  *tls.Config
	}{
		{"InsecureSkipVerify", &tls.Config{InsecureSkipVerify: true}}, // the configuration under test
		{"MinVersion TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10}},
		{"MinVersion TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS11}},
	}
	for _, w := range weak {
		t.Run(w.name, func(t *testing.T) {
			if _, err := mqtt.New(mqtt.Config{Server: "tls://127.0.0.1:8883", DeviceID: "gw1", TLSConfig: w.cfg}); err == nil {
				t.Error("mqtt.New accepted it")
			}
			if _, err := mqttx.New(mqttx.Options{Server: "tls://127.0.0.1:8883", TLSConfig: w.cfg}); !errors.Is(err, mqttx.ErrInsecureTLS) {
				t.Errorf("mqttx.New = %v, want ErrInsecureTLS", err)
			}
			s := startTLSServer(t, tls.VersionTLS10, tls.VersionTLS13)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			conn, err := mqttx.DialServer(ctx, "tls://"+s.addr, w.cfg, nil)
			if err == nil {
				conn.Close()
			}
			if !errors.Is(err, mqttx.ErrInsecureTLS) {
				t.Errorf("mqttx.DialServer = %v, want ErrInsecureTLS", err)
			}
			if len(s.results) != 0 {
				t.Error("mqttx.DialServer dialed")
			}
		})
	}
}
