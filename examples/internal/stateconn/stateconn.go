// Package stateconn connects the examples' devices to a cloud together
// with the cloud's state service: the Device Shadow on AWS IoT Core, the
// device twin on Azure IoT Hub, both behind state.Syncer.
package stateconn

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

// Device is a connected device: its transport and its state syncer.
type Device struct {
	Cloud     string // "AWS IoT Core" or "Azure IoT Hub"
	Transport transport.Transport
	Syncer    state.Syncer
	close     func(ctx context.Context) error
}

// Close closes the syncer, then the transport.
func (d *Device) Close(ctx context.Context) error { return d.close(ctx) }

// AWS connects to AWS IoT Core and opens the thing's classic shadow.
func AWS(ctx context.Context, c awsiot.Config) (*Device, error) {
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
	return &Device{Cloud: "AWS IoT Core", Transport: tr, Syncer: sh, close: func(ctx context.Context) error {
		return errors.Join(sh.Close(ctx), tr.Close(ctx))
	}}, nil
}

// Azure connects to Azure IoT Hub and opens the device twin.
func Azure(ctx context.Context, c azureiot.Config) (*Device, error) {
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
	return &Device{Cloud: "Azure IoT Hub", Transport: tr, Syncer: tw, close: func(ctx context.Context) error {
		return errors.Join(tw.Close(), tr.Close(ctx))
	}}, nil
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
