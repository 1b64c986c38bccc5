//go:build sizeprobe_plain || sizeprobe_aws || sizeprobe_azure || sizeprobe_both

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
	"github.com/tether-iot/tether/transport"
)

// send connects t and sends the publisher's messages through it.
func send(ctx context.Context, cfg pubcli.Config, t transport.Transport) error {
	if err := t.Connect(ctx); err != nil {
		return errors.Join(fmt.Errorf("connect: %w", err), t.Close(ctx))
	}
	defer t.Close(context.Background())
	return pubcli.Each(ctx, cfg, func(i int) error {
		return t.Send(ctx, transport.Message{Topic: cfg.Topic, Payload: pubcli.Payload(i), QoS: 1})
	})
}
