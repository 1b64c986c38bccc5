//go:build sizeprobe_mqttx || !(sizeprobe_plain || sizeprobe_aws || sizeprobe_azure || sizeprobe_both)

package main

import (
	"context"
	"fmt"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/mqttx"
)

func run(ctx context.Context, cfg pubcli.Config) error {
	c, err := mqttx.New(mqttx.Options{Server: cfg.Server, ClientID: cfg.ClientID, TLSConfig: cfg.TLS})
	if err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Disconnect(context.Background())
	return pubcli.Each(ctx, cfg, func(i int) error {
		return c.Publish(ctx, cfg.Topic, pubcli.Payload(i), 1, false)
	})
}
