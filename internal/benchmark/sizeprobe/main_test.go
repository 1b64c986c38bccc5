//go:build !(sizeprobe_aws || sizeprobe_azure || sizeprobe_both)

package main

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/internal/leakcheck"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// TestRunPublishesOverMutualTLS runs the probe's layer (mqttx without a
// tag, the plain adapter with sizeprobe_plain) against the fake broker's
// TLS listener with a client certificate, as the raw publisher runs, and
// checks that every message arrived in order.
func TestRunPublishesOverMutualTLS(t *testing.T) {
	leakcheck.Check(t)
	broker := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth())
	cert, err := broker.IssueClientCert("dev-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := pubcli.Config{Server: broker.TLSURL(), ClientID: "dev-1", Topic: "telemetry", Count: 3, Interval: time.Millisecond,
		TLS: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: broker.CA(), Certificates: []tls.Certificate{cert}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	got := broker.Received("dev-1")
	if len(got) != cfg.Count {
		t.Fatalf("broker received %d messages, want %d: %v", len(got), cfg.Count, got)
	}
	for i, m := range got {
		if !strings.HasSuffix(m.Topic, "telemetry") || string(m.Payload) != string(pubcli.Payload(i)) || m.QoS != 1 {
			t.Errorf("message %d: %q %q QoS %d, want topic ending in telemetry, payload %q, QoS 1", i, m.Topic, m.Payload, m.QoS, pubcli.Payload(i))
		}
	}
}
