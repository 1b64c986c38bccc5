package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/tether-iot/tether/transport"
)

// firmware is device code written once against transport.Transport: it
// sends an event and a sensor reading, and handles the requests the cloud
// sends. Nothing in it names a cloud.
func firmware(ctx context.Context, tr transport.Transport, requests chan<- transport.Message) error {
	err := tr.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) {
		requests <- m
	})
	if err != nil {
		return err
	}
	if err := tr.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"boot":true}`), QoS: 1}); err != nil {
		return err
	}
	return tr.Send(ctx, transport.Message{Topic: "response/sensor/12/reading", Payload: []byte(`{"celsius":21.5}`), QoS: 1})
}

// oneFirmwareTwoClouds runs firmware unchanged on each emulated cloud and
// shows the cloud-side topics each one saw.
func oneFirmwareTwoClouds(clouds []emulatedCloud) func(ctx context.Context, out io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		for _, cloud := range clouds {
			tr, err := cloud.connect(ctx)
			if err != nil {
				return fmt.Errorf("%s: connect: %w", cloud.name, err)
			}
			defer tr.Close(context.Background())
			info := tr.Info()
			fmt.Fprintf(out, "   %s: device %q connected as client %q\n", cloud.name, info.DeviceID, info.ClientID)

			requests := make(chan transport.Message, 1)
			if err := firmware(ctx, tr, requests); err != nil {
				return fmt.Errorf("%s: firmware: %w", cloud.name, err)
			}
			sent := cloud.sent()
			for _, topic := range sent {
				fmt.Fprintf(out, "   %s saw the device publish on %s\n", cloud.name, topic)
			}
			if !slices.Equal(sent, cloud.wantSent) {
				return fmt.Errorf("%s: the device published on %q, want %q", cloud.name, sent, cloud.wantSent)
			}
			if err := cloud.request("sensor/list", []byte(`{}`)); err != nil {
				return fmt.Errorf("%s: request: %w", cloud.name, err)
			}
			select {
			case m := <-requests:
				fmt.Fprintf(out, "   %s: the firmware received canonical %q\n", cloud.name, m.Topic)
				if m.Topic != "request/sensor/list" {
					return fmt.Errorf("%s: request arrived as %q", cloud.name, m.Topic)
				}
			case <-ctx.Done():
				return fmt.Errorf("%s: no request arrived: %w", cloud.name, ctx.Err())
			}
		}
		return nil
	}
}
