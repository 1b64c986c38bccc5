// Package pubcli is the command line shared by the programs of tether's
// binary-size budget: the raw paho publisher (rawpaho/publisher) and the
// same publisher built on each layer of tether (sizeprobe). Sharing it
// keeps the flags, the TLS loading and the messages byte-for-byte the same
// in every build, so that size differences come from the MQTT stack alone.
package pubcli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is what the flags select.
type Config struct {
	Server   string
	ClientID string
	Topic    string
	Cloud    string // "aws" or "azure", for a program that knows both
	Count    int
	Interval time.Duration
	TLS      *tls.Config
}

// Main parses the flags, loads the TLS files and calls run with a context
// bounded by a minute plus the pauses; on an error it prints it, prefixed
// with name, and exits 1.
func Main(name string, run func(context.Context, Config) error) {
	var cfg Config
	var caFile, certFile, keyFile string
	flag.StringVar(&cfg.Server, "server", "tls://127.0.0.1:8883", "broker URL, or the cloud's endpoint or connection string")
	flag.StringVar(&cfg.ClientID, "client-id", "dev-1", "MQTT client id")
	flag.StringVar(&cfg.Topic, "topic", "dev-1/telemetry", "topic to publish on")
	flag.StringVar(&cfg.Cloud, "cloud", "aws", "aws or azure, for a program built for both")
	flag.IntVar(&cfg.Count, "count", 3, "messages to publish")
	flag.DurationVar(&cfg.Interval, "interval", time.Second, "pause between messages")
	flag.StringVar(&caFile, "ca", "", "PEM file of the CA that signed the broker's certificate (default: system roots)")
	flag.StringVar(&certFile, "cert", "", "PEM file of the device certificate")
	flag.StringVar(&keyFile, "key", "", "PEM file of the device key")
	flag.Parse()

	t, err := LoadTLS(caFile, certFile, keyFile)
	if err == nil {
		cfg.TLS = t
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(cfg.Count)*cfg.Interval)
		err = run(ctx, cfg)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// LoadTLS returns a TLS 1.2+ configuration with the CA file's roots (the
// system's when caFile is empty) and the device's certificate, if given.
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
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

// Payload is message number i.
func Payload(i int) []byte { return []byte(`{"seq":` + strconv.Itoa(i) + `}`) }

// Each calls publish for messages 0 to cfg.Count-1, cfg.Interval apart,
// and stops at the first error (wrapped with the message's number) or when
// ctx ends.
func Each(ctx context.Context, cfg Config, publish func(i int) error) error {
	for i := 0; i < cfg.Count; i++ {
		if i > 0 {
			if err := pause(ctx, cfg.Interval); err != nil {
				return err
			}
		}
		if err := publish(i); err != nil {
			return fmt.Errorf("publish %d: %w", i, err)
		}
	}
	return nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
