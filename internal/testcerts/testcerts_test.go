package testcerts

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"testing"
)

func TestMutualTLSHandshake(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ca.ClientCert("device-1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srv},
		ClientCAs:    ca.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peerCN := make(chan string, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed
			}
			tc := c.(*tls.Conn)
			if err := tc.Handshake(); err != nil {
				peerCN <- "handshake: " + err.Error()
			} else {
				peerCN <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
			}
			tc.Close()
		}
	}()
	for _, serverName := range []string{"localhost", "127.0.0.1"} {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			RootCAs:      ca.Pool(),
			ServerName:   serverName,
			Certificates: []tls.Certificate{cli},
			MinVersion:   tls.VersionTLS12,
		})
		if err != nil {
			t.Fatalf("dial with ServerName %q: %v", serverName, err)
		}
		// TLS 1.3 client handshakes finish before the server verifies the client certificate:
		// read until the server closes to be sure it accepted us.
		_, _ = io.Copy(io.Discard, conn)
		conn.Close()
		if got := <-peerCN; got != "device-1" {
			t.Fatalf("ServerName %q: server saw client %q, want CN device-1", serverName, got)
		}
	}
}

func TestUntrustedClientRejected(t *testing.T) {
	ca, _ := NewCA()
	other, _ := NewCA()
	cli, err := other.ClientCert("intruder")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Fatal("certificate from another CA verified")
	}
	if _, err := cli.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("certificate does not verify against its own CA: %v", err)
	}
}

func TestClientCertEmptyCN(t *testing.T) {
	ca, _ := NewCA()
	if _, err := ca.ClientCert(""); err == nil {
		t.Fatal("empty CN accepted")
	}
}

func TestWriteFiles(t *testing.T) {
	ca, _ := NewCA()
	srv, _ := ca.ServerCert("localhost")
	f, err := ca.WriteFiles(t.TempDir(), "server", srv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(f.Cert, f.Key); err != nil {
		t.Fatalf("written key pair does not load: %v", err)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(caPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("CA file is not a PEM certificate")
	}
	if !ca.Pool().AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM does not parse")
	}
}
