package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/twin"
)

// cloudConn is a connected device: its transport and its state syncer
// (the Device Shadow on AWS, the device twin on Azure).
type cloudConn struct {
	tr     transport.Transport
	syncer state.Syncer
	close  func(ctx context.Context) error
}

// connect builds the transport for cfg's cloud from the flags.
func connect(ctx context.Context, cfg config) (*cloudConn, error) {
	switch cfg.cloud {
	case "aws":
		c := awsiot.Config{Endpoint: cfg.endpoint, ThingName: cfg.thing, CertFile: cfg.certFile, KeyFile: cfg.keyFile, CAFile: cfg.caFile}
		return connectAWS(ctx, c)
	case "azure":
		c := azureiot.Config{ConnectionString: cfg.connectionString}
		if cfg.caFile != "" {
			pool, err := loadCA(cfg.caFile)
			if err != nil {
				return nil, err
			}
			c.RootCAs = pool
		}
		return connectAzure(ctx, c)
	}
	return nil, fmt.Errorf("unknown cloud %q", cfg.cloud)
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// connectAWS connects to AWS IoT Core and opens the classic shadow.
func connectAWS(ctx context.Context, c awsiot.Config) (*cloudConn, error) {
	tr, err := awsiot.New(c)
	if err != nil {
		return nil, err
	}
	if err := tr.Connect(ctx); err != nil {
		return nil, errors.Join(err, tr.Close(ctx))
	}
	sh, err := shadow.New(ctx, tr)
	if err != nil {
		return nil, errors.Join(err, tr.Close(ctx))
	}
	return &cloudConn{tr: tr, syncer: sh, close: func(ctx context.Context) error {
		return errors.Join(sh.Close(ctx), tr.Close(ctx))
	}}, nil
}

// connectAzure connects to Azure IoT Hub and opens the device twin.
func connectAzure(ctx context.Context, c azureiot.Config) (*cloudConn, error) {
	tr, err := azureiot.New(c)
	if err != nil {
		return nil, err
	}
	if err := tr.Connect(ctx); err != nil {
		return nil, errors.Join(err, tr.Close(ctx))
	}
	tw, err := twin.New(tr)
	if err != nil {
		return nil, errors.Join(err, tr.Close(ctx))
	}
	return &cloudConn{tr: tr, syncer: tw, close: func(ctx context.Context) error {
		return errors.Join(tw.Close(), tr.Close(ctx))
	}}, nil
}
