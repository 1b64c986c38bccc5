// Command publisher is the raw paho baseline of tether's binary-size
// budget: a minimal device that connects to a broker over mutual TLS with
// the Eclipse Paho client used directly, publishes a few telemetry
// messages and disconnects. It is what firmware without tether needs at
// the least, so the stripped size of its linux/arm build is the floor the
// tether device program (examples/device) is compared with.
//
// It lives under internal/benchmark/rawpaho, the one place outside mqttx
// allowed to import paho, as a baseline only. Its command line
// (internal/benchmark/pubcli) is shared with internal/benchmark/sizeprobe.
// Built with -tags publisher_json it encodes its messages with
// encoding/json and decodes them back, which measures what that package
// alone adds.
//
//	publisher -server tls://broker:8883 -ca ca.pem -cert dev.pem -key dev.key -topic dev-1/telemetry
package main

import (
	"context"
	"errors"
	"fmt"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
)

func main() { pubcli.Main("publisher", run) }

// run connects, publishes cfg.Count QoS 1 messages and disconnects.
func run(ctx context.Context, cfg pubcli.Config) error {
	opts := mqtt.NewClientOptions().
		AddBroker(cfg.Server).
		SetClientID(cfg.ClientID).
		SetProtocolVersion(4).
		SetTLSConfig(cfg.TLS)
	c := mqtt.NewClient(opts)
	if err := wait(ctx, c.Connect()); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Disconnect(250)
	return pubcli.Each(ctx, cfg, func(i int) error {
		return wait(ctx, c.Publish(cfg.Topic, 1, false, payload(i)))
	})
}

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return errors.Join(errors.New("no answer"), ctx.Err())
	}
}
