// Command publisher is the raw paho baseline of tether's binary-size
// budget: a minimal device that connects to a broker over mutual TLS with
// the Eclipse Paho client used directly, publishes a few telemetry
// messages and disconnects. It is what firmware without tether needs at
// the least, so the stripped size of its linux/arm build is the floor the
// tether device program (examples/device) is compared with.
//
// It lives under internal/benchmark/rawpaho, the one place outside mqttx
// allowed to import paho, as a baseline only.
//
//	publisher -server tls://broker:8883 -ca ca.pem -cert dev.pem -key dev.key -topic dev-1/telemetry
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// config is what the flags select.
type config struct {
	server   string
	clientID string
	topic    string
	count    int
	interval time.Duration
	tls      *tls.Config
}

func main() {
	var cfg config
	var caFile, certFile, keyFile string
	flag.StringVar(&cfg.server, "server", "tls://127.0.0.1:8883", "broker URL")
	flag.StringVar(&cfg.clientID, "client-id", "dev-1", "MQTT client id")
	flag.StringVar(&cfg.topic, "topic", "dev-1/telemetry", "topic to publish on")
	flag.IntVar(&cfg.count, "count", 3, "messages to publish")
	flag.DurationVar(&cfg.interval, "interval", time.Second, "pause between messages")
	flag.StringVar(&caFile, "ca", "", "PEM file of the CA that signed the broker's certificate (default: system roots)")
	flag.StringVar(&certFile, "cert", "", "PEM file of the device certificate")
	flag.StringVar(&keyFile, "key", "", "PEM file of the device key")
	flag.Parse()

	t, err := loadTLS(caFile, certFile, keyFile)
	if err == nil {
		cfg.tls = t
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(cfg.count)*cfg.interval)
		err = run(ctx, cfg)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "publisher:", err)
		os.Exit(1)
	}
}

func loadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate", caFile)
		}
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// run connects, publishes cfg.count QoS 1 messages and disconnects.
func run(ctx context.Context, cfg config) error {
	opts := mqtt.NewClientOptions().
		AddBroker(cfg.server).
		SetClientID(cfg.clientID).
		SetProtocolVersion(4).
		SetTLSConfig(cfg.tls)
	c := mqtt.NewClient(opts)
	if err := wait(ctx, c.Connect()); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Disconnect(250)
	for i := 0; i < cfg.count; i++ {
		if i > 0 {
			select {
			case <-time.After(cfg.interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		payload := `{"seq":` + strconv.Itoa(i) + `}`
		if err := wait(ctx, c.Publish(cfg.topic, 1, false, payload)); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	return nil
}

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return errors.Join(errors.New("no answer"), ctx.Err())
	}
}
