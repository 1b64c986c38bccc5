package securitytest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/transport/mqtt"
)

// writeCertFiles writes cert and its key as PEM files, each replaced
// atomically, so that a handshake never reads half a rotation.
func writeCertFiles(t *testing.T, certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	keyPEM, err := testcerts.KeyPEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{keyFile, keyPEM}, {certFile, testcerts.CertPEM(cert)}} {
		tmp := f.path + ".tmp"
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
}

// An Azure X.509 device with CertFile and KeyFile presents a rotated
// certificate on its next connection, without a restart: the hub,
// re-registered with the new certificate's thumbprint, refuses the old
// one until the files change, then lets the device back in.
func TestAzureX509CertificateFilesRotated(t *testing.T) {
	h := azureiottest.New(t)
	first := h.AddX509Device("dev1")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "dev1-cert.pem"), filepath.Join(dir, "dev1-key.pem")
	writeCertFiles(t, certFile, keyFile, *first.Certificate)
	cfg := first
	cfg.Certificate, cfg.CertFile, cfg.KeyFile = nil, certFile, keyFile
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	conn, err := azureiot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	s := newSession(t) // for its event log
	ev := s.watch("dev1", conn)
	ctx := testContext(t)
	if err := conn.Connect(ctx); err != nil {
		t.Fatal(err)
	}

	// The hub now knows the device by a new certificate only.
	second := h.AddX509Device("dev1")
	if !h.Broker().Disconnect("dev1") {
		t.Fatal("dev1 is not connected")
	}
	ev.wait(transport.EventConnectionLost, nil)
	failed := ev.wait(transport.EventConnectFailed, nil)
	if !errors.Is(failed.Err, mqttx.ErrNotAuthorized) {
		t.Fatalf("with the old certificate: %v, want not authorized", failed.Err)
	}

	// Rotating the files lets the reconnect loop in.
	writeCertFiles(t, certFile, keyFile, *second.Certificate)
	ev.wait(transport.EventConnected, nil)
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("rotated"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	var accepted, refused int
	for _, a := range h.ConnectAttempts("dev1") {
		if !a.X509 {
			t.Errorf("attempt %+v did not authenticate by certificate", a)
		}
		if a.Code == 0 {
			accepted++
		} else {
			refused++
		}
	}
	if accepted != 2 || refused == 0 {
		t.Errorf("%d attempts accepted, %d refused: want 2 accepted (old then new certificate) and the old one refused after re-registration", accepted, refused)
	}
}

// A plain MQTT client certificate rotates through
// tls.Config.GetClientCertificate, which is called on every handshake:
// that is where users supply a renewed certificate (the transport/mqtt
// documentation says so).
func TestMQTTClientCertificateRotatedByGetClientCertificate(t *testing.T) {
	var allowed atomic.Pointer[big.Int] // the serial the broker accepts
	var mu sync.Mutex
	var seen []*big.Int
	b := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth(),
		mqttxtest.WithAuthenticator(func(ci mqttxtest.ConnectInfo) byte {
			if len(ci.PeerCertificates) == 0 {
				return mqttx.ConnNotAuthorized
			}
			serial := ci.PeerCertificates[0].SerialNumber
			mu.Lock()
			seen = append(seen, serial)
			mu.Unlock()
			if serial.Cmp(allowed.Load()) != 0 {
				return mqttx.ConnNotAuthorized
			}
			return mqttx.ConnAccepted
		}))
	issue := func() *tls.Certificate {
		c, err := b.IssueClientCert("gw1")
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	var current atomic.Pointer[tls.Certificate] // what the device's certificate store holds
	current.Store(issue())
	allowed.Store(current.Load().Leaf.SerialNumber)

	tc := b.ClientTLSConfig()
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return current.Load(), nil }
	conn, err := mqtt.New(mqtt.Config{Server: b.TLSURL(), DeviceID: "gw1", TLSConfig: tc,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	s := newSession(t)
	ev := s.watch("gw1", conn)
	if err := conn.Connect(testContext(t)); err != nil {
		t.Fatal(err)
	}

	// Renew: the store gets a new certificate, the broker accepts only it.
	renewed := issue()
	current.Store(renewed)
	allowed.Store(renewed.Leaf.SerialNumber)
	if !b.Disconnect("gw1") {
		t.Fatal("gw1 is not connected")
	}
	ev.wait(transport.EventConnectionLost, nil)
	ev.wait(transport.EventConnected, nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Cmp(seen[1]) == 0 || seen[1].Cmp(renewed.Leaf.SerialNumber) != 0 {
		t.Errorf("the broker saw certificates %v, want the first then the renewed one (%v)", seen, renewed.Leaf.SerialNumber)
	}
}
