package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// mqttRoundTrip connects a device and an application to an in-process
// broker and measures a QoS 1 request/response round trip.
func mqttRoundTrip(ctx context.Context, out io.Writer) error {
	broker, err := mqttxtest.Start()
	if err != nil {
		return err
	}
	defer broker.Close()
	fmt.Fprintf(out, "   broker listening on %s\n", broker.URL())

	device, err := mqttx.New(mqttx.Options{Server: broker.URL(), ClientID: "device-1"})
	if err != nil {
		return err
	}
	app, err := mqttx.New(mqttx.Options{Server: broker.URL(), ClientID: "app-1"})
	if err != nil {
		return err
	}
	for _, c := range []*mqttx.Client{device, app} {
		if err := c.Connect(ctx); err != nil {
			return err
		}
		defer c.Disconnect(context.Background())
	}
	fmt.Fprintln(out, "   device-1 and app-1 connected")

	// The device answers every ping on its request topic.
	err = device.Subscribe(ctx, "device-1/request/ping", 1, func(ctx context.Context, m mqttx.Message) {
		if err := device.Publish(ctx, "device-1/response/ping", m.Payload, 1, false); err != nil {
			fmt.Fprintln(out, "   device: reply failed:", err)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "   device-1 subscribed to device-1/request/ping")

	replies := make(chan mqttx.Message, 1)
	if err := app.Subscribe(ctx, "device-1/response/#", 1, func(_ context.Context, m mqttx.Message) {
		replies <- m
	}); err != nil {
		return err
	}

	sent := time.Now()
	if err := app.Publish(ctx, "device-1/request/ping", []byte("hello"), 1, false); err != nil {
		return err
	}
	fmt.Fprintln(out, `   app-1 published "hello" to device-1/request/ping (QoS 1, acknowledged)`)
	select {
	case m := <-replies:
		fmt.Fprintf(out, "   app-1 received %q on %s: round trip %v\n", m.Payload, m.Topic, time.Since(sent).Round(time.Microsecond))
		if string(m.Payload) != "hello" {
			return fmt.Errorf("reply %q, want %q", m.Payload, "hello")
		}
	case <-ctx.Done():
		return fmt.Errorf("no reply: %w", ctx.Err())
	}
	return nil
}
