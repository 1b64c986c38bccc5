package awsiottest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/awsiot"
)

// Emulator constants.
const (
	// Endpoint is the emulator's endpoint name: its server certificate is
	// valid for it (and for 127.0.0.1 and ::1).
	Endpoint = "localhost"
	// Region is the region the emulator's WebSocket signatures must name.
	Region = "us-east-1"
	// MaxClockSkew is how far a WebSocket URL's signing time may be from
	// the emulator's clock.
	MaxClockSkew = 5 * time.Minute
	// handshakeTimeout bounds a TLS handshake, a WebSocket upgrade and the
	// wait for CONNECT.
	handshakeTimeout = 10 * time.Second
)

// Emulator is an in-process AWS IoT Core endpoint on loopback. It is safe
// for concurrent use.
type Emulator struct {
	cfg    config
	log    *slog.Logger
	broker *mqttxtest.Broker
	ca     *testcerts.CA
	creds  awsiot.Credentials
	tb     testing.TB // nil for Start

	// shadowMu serializes the shadow service's answers with their
	// delivery, so that subscribers get them in the service's order.
	shadowMu sync.Mutex
	shadows  *shadowsvc.Service

	ln      net.Listener
	tlsConf *tls.Config
	httpLn  *chanListener
	httpSrv *http.Server

	wg sync.WaitGroup // every goroutine the emulator starts

	mu          sync.Mutex
	closed      bool
	conns       map[*trackedConn]struct{}
	links       map[string]*link // the newest connection of each client ID
	connections []Connection
	violations  []Violation
}

// New starts an emulator for a test and closes it when the test ends. It
// calls t.Fatal if the emulator cannot start.
func New(t testing.TB, opts ...Option) *Emulator {
	t.Helper()
	e, err := Start(opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	e.tb = t
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Start starts an emulator listening on 127.0.0.1 with an OS-chosen port,
// for programs (examples, a quickstart). The caller must Close it.
func Start(opts ...Option) (*Emulator, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ca, err := testcerts.NewCA()
	if err != nil {
		return nil, fmt.Errorf("awsiottest: %w", err)
	}
	serverCert, err := ca.ServerCert(Endpoint, "127.0.0.1", "::1")
	if err != nil {
		return nil, fmt.Errorf("awsiottest: server certificate: %w", err)
	}
	creds, err := newCredentials()
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		cfg:     cfg,
		log:     log,
		ca:      ca,
		creds:   creds,
		shadows: shadowsvc.New(shadowsvc.Options{}),
		conns:   make(map[*trackedConn]struct{}),
		links:   make(map[string]*link),
		tlsConf: &tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientCAs:    ca.Pool(),
			// Port 443 serves every method, told apart by ALPN; the
			// certificate is required for X.509 connections only.
			ClientAuth: tls.VerifyClientCertIfGiven,
			NextProtos: []string{awsiot.ALPNX509, awsiot.ALPNCustomAuthorizer, "http/1.1"},
			MinVersion: tls.VersionTLS12,
		},
	}
	brokerOpts := append([]mqttxtest.Option{
		mqttxtest.WithLogger(log),
		// The gateway refuses bigger packets first; this only bounds memory.
		mqttxtest.WithMaxPacketSize(maxUpstreamPacket),
		// Before the caller's options: an interceptor of theirs replaces it.
		mqttxtest.WithInterceptor(e.interceptShadow),
	}, cfg.broker...)
	brokerOpts = append(brokerOpts, mqttxtest.WithQoS2(mqttxtest.QoS2Disconnect))
	broker, err := mqttxtest.Start(brokerOpts...)
	if err != nil {
		return nil, fmt.Errorf("awsiottest: %w", err)
	}
	e.broker = broker
	e.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = broker.Close()
		return nil, fmt.Errorf("awsiottest: listen: %w", err)
	}
	e.httpLn = newChanListener(e.ln.Addr())
	e.httpSrv = &http.Server{
		Handler:           http.HandlerFunc(e.serveWebSocket),
		ReadHeaderTimeout: handshakeTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	e.httpSrv.SetKeepAlivesEnabled(false)
	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		_ = e.httpSrv.Serve(e.httpLn)
	}()
	go func() {
		defer e.wg.Done()
		e.acceptLoop()
	}()
	return e, nil
}

// newCredentials makes the AWS credentials the emulator accepts for SigV4.
func newCredentials() (awsiot.Credentials, error) {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		return awsiot.Credentials{}, fmt.Errorf("awsiottest: %w", err)
	}
	return awsiot.Credentials{
		AccessKeyID:     "AKIAEMULATOR" + hex.EncodeToString(b[:4]),
		SecretAccessKey: hex.EncodeToString(b[4:24]),
		SessionToken:    "emulator-session-" + hex.EncodeToString(b[24:]),
	}, nil
}

// Close closes the listener and every connection and the broker, and
// returns once every goroutine the emulator started has ended. Calling it
// again does nothing.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	conns := make([]*trackedConn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	_ = e.ln.Close()
	_ = e.httpSrv.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	e.wg.Wait()
	return e.broker.Close()
}

// Broker returns the MQTT broker behind the emulator, for its fault
// injection (Disconnect, DisconnectAfter, WithholdAcks, RefuseConnect,
// ...) and inspection (Stats, Clients).
func (e *Emulator) Broker() *mqttxtest.Broker { return e.broker }

// Address returns the "127.0.0.1:PORT" the emulator listens on. One
// listener serves every AWS method, told apart by ALPN as AWS's port 443
// does; a TLS connection without ALPN is served as on port 8883.
func (e *Emulator) Address() string { return e.ln.Addr().String() }

// CA returns a pool with the emulator's CA: it signed the server
// certificate and the device certificates.
func (e *Emulator) CA() *x509.CertPool { return e.ca.Pool() }

// CAPEM returns the emulator's CA certificate, PEM-encoded (for
// awsiot.Config.CAFile).
func (e *Emulator) CAPEM() []byte { return e.ca.PEM() }

// Credentials returns the AWS credentials the emulator accepts for SigV4
// WebSocket connections, with a session token.
func (e *Emulator) Credentials() awsiot.Credentials { return e.creds }

// CredentialsProvider returns Credentials; use it as
// awsiot.Config.CredentialsProvider.
func (e *Emulator) CredentialsProvider(ctx context.Context) (awsiot.Credentials, error) {
	if err := ctx.Err(); err != nil {
		return awsiot.Credentials{}, err
	}
	return e.creds, nil
}

// IssueCertificate issues a device certificate for thing, signed by the
// emulator's CA: the emulator accepts it for X.509 connections.
func (e *Emulator) IssueCertificate(thing string) (tls.Certificate, error) {
	cert, err := e.ca.ClientCert(thing)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("awsiottest: device certificate: %w", err)
	}
	return cert, nil
}

// WriteCertificateFiles issues a device certificate for thing and writes
// it and its key as PEM files in dir, for awsiot.Config.CertFile and
// KeyFile. Calling it again for the same thing and dir replaces the files
// (a certificate rotation).
func (e *Emulator) WriteCertificateFiles(dir, thing string) (certFile, keyFile string, err error) {
	cert, err := e.IssueCertificate(thing)
	if err != nil {
		return "", "", err
	}
	keyPEM, err := testcerts.KeyPEM(cert)
	if err != nil {
		return "", "", fmt.Errorf("awsiottest: %w", err)
	}
	certFile = filepath.Join(dir, thing+"-cert.pem")
	keyFile = filepath.Join(dir, thing+"-key.pem")
	if err := writeFileAtomic(certFile, testcerts.CertPEM(cert)); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(keyFile, keyPEM); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// writeFileAtomic replaces path with data, so that a reader never sees a
// half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("awsiottest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("awsiottest: %w", err)
	}
	return nil
}

// DeviceConfig returns a ready awsiot.Config for thing, pointing at the
// emulator: X.509 authentication on port 8883 with a certificate issued on
// the fly, the emulator's CA, Address set to its listener, and a short
// reconnect backoff (10 ms to 250 ms) so that tests reconnect fast. Region
// and CredentialsProvider are set too, so that switching Auth to
// awsiot.AuthWebSocket is enough for SigV4. It calls t.Fatal (or panics,
// for an emulator from Start) if the certificate cannot be issued.
func (e *Emulator) DeviceConfig(thing string) awsiot.Config {
	cert, err := e.IssueCertificate(thing)
	if err != nil {
		if e.tb != nil {
			e.tb.Helper()
			e.tb.Fatalf("%v", err)
		}
		panic(err)
	}
	return awsiot.Config{
		Endpoint:            Endpoint,
		Address:             e.Address(),
		ThingName:           thing,
		Certificate:         &cert,
		RootCAs:             e.CA(),
		Region:              Region,
		CredentialsProvider: e.CredentialsProvider,
		MinBackoff:          10 * time.Millisecond,
		MaxBackoff:          250 * time.Millisecond,
	}
}

// Received returns the messages the client published that reached the
// message broker (decoded topic and payload), in order.
func (e *Emulator) Received(clientID string) []mqttxtest.Message { return e.broker.Received(clientID) }

// Publish publishes a message from the cloud side to the subscribers of
// topic, with AWS IoT Core's matching ("a/#" does not match "a").
func (e *Emulator) Publish(topic string, payload []byte, qos byte) error {
	return e.broker.Publish(topic, payload, qos, false)
}

// PublishTo delivers a message to one client whatever its subscriptions.
func (e *Emulator) PublishTo(clientID, topic string, payload []byte, qos byte) error {
	return e.broker.PublishTo(clientID, topic, payload, qos)
}

// WaitConnected returns once the client is connected, or ctx's error.
func (e *Emulator) WaitConnected(ctx context.Context, clientID string) error {
	return e.broker.WaitConnected(ctx, clientID)
}
