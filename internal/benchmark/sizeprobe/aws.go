//go:build sizeprobe_aws || sizeprobe_both

package main

import (
	"context"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/transport/awsiot"
)

// runAWS connects with the thing's X.509 certificate (the publisher's
// mutual TLS), cfg.Server being the data endpoint.
func runAWS(ctx context.Context, cfg pubcli.Config) error {
	c := awsiot.Config{Endpoint: cfg.Server, ThingName: cfg.ClientID, RootCAs: cfg.TLS.RootCAs}
	if len(cfg.TLS.Certificates) > 0 {
		c.Certificate = &cfg.TLS.Certificates[0]
	}
	t, err := awsiot.New(c)
	if err != nil {
		return err
	}
	return send(ctx, cfg, t)
}
