package main

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

func TestRunPublishesOverMutualTLS(t *testing.T) {
	broker := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth())
	cert, err := broker.IssueClientCert("dev-1")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := broker.ClientTLSConfig()
	tlsCfg.Certificates = []tls.Certificate{cert}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = run(ctx, pubcli.Config{Server: broker.TLSURL(), ClientID: "dev-1", Topic: "dev-1/telemetry", Count: 2, TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	got := broker.Received("dev-1")
	if len(got) != 2 || string(got[0].Payload) != `{"seq":0}` || string(got[1].Payload) != `{"seq":1}` {
		t.Fatalf("broker received %+v, want two messages seq 0 and 1", got)
	}
}
