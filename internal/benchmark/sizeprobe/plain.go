//go:build sizeprobe_plain

package main

import (
	"context"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/transport/mqtt"
)

func run(ctx context.Context, cfg pubcli.Config) error {
	t, err := mqtt.New(mqtt.Config{Server: cfg.Server, DeviceID: cfg.ClientID, TLSConfig: cfg.TLS})
	if err != nil {
		return err
	}
	return send(ctx, cfg, t)
}
