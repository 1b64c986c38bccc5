// Package pubclitest checks a program built on pubcli: its run function,
// called as pubcli.Main calls it, against an mqttxtest broker over mutual
// TLS, as the size-budget programs connect to a cloud.
package pubclitest

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// messages is how many messages CheckRun has run publish.
const messages = 3

// CheckRun runs run as client "dev-1" with a client certificate, asking
// for messages on topic, and fails t unless the broker received them all,
// in order, at QoS 1, with pubcli.Payload's bytes, on wantTopic (the
// topic after the layer under test translated it).
func CheckRun(t testing.TB, run func(context.Context, pubcli.Config) error, topic, wantTopic string) {
	t.Helper()
	broker := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth())
	cert, err := broker.IssueClientCert("dev-1")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := broker.ClientTLSConfig()
	tlsCfg.Certificates = []tls.Certificate{cert}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := pubcli.Config{Server: broker.TLSURL(), ClientID: "dev-1", Topic: topic, Count: messages,
		Interval: time.Millisecond, TLS: tlsCfg}
	if err := run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	got := broker.Received("dev-1")
	if len(got) != messages {
		t.Fatalf("broker received %d messages, want %d: %+v", len(got), messages, got)
	}
	for i, m := range got {
		if want := pubcli.Payload(i); m.Topic != wantTopic || string(m.Payload) != string(want) || m.QoS != 1 {
			t.Errorf("message %d: %q %s QoS %d, want %q %s QoS 1", i, m.Topic, m.Payload, m.QoS, wantTopic, want)
		}
	}
}
