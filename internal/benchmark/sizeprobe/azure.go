//go:build sizeprobe_azure || sizeprobe_both

package main

import (
	"context"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/transport/azureiot"
)

// runAzure connects with a device connection string (SAS tokens), given
// as cfg.Server.
func runAzure(ctx context.Context, cfg pubcli.Config) error {
	t, err := azureiot.New(azureiot.Config{ConnectionString: cfg.Server, RootCAs: cfg.TLS.RootCAs})
	if err != nil {
		return err
	}
	return send(ctx, cfg, t)
}
