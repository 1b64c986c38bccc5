package transport_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
	"github.com/tether-iot/tether/transport/outbox"
)

// Messages sent while offline wait in the outbox and are delivered, in
// order, once connected. With Outbox.Dir set they also survive a restart.
func ExampleConn_Enqueue() {
	broker, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close()

	c, err := mqtt.New(mqtt.Config{
		Server:   broker.URL(),
		DeviceID: "gw-7",
		Outbox: outbox.Options{
			OnDrop: func(rec outbox.Record, reason error) { fmt.Println("dropped:", reason) },
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer c.Close(ctx)

	// Offline: fire and forget, or Send with a deadline.
	_ = c.Enqueue(transport.Message{Topic: "events", Payload: []byte("boot"), QoS: 1})
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	err = c.Send(short, transport.Message{Topic: "events", Payload: []byte("reading"), QoS: 1})
	cancelShort()
	fmt.Println(errors.Is(err, transport.ErrQueued), errors.Is(err, context.DeadlineExceeded), c.Queued())

	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	// Send returns once acknowledged, after the messages queued before it.
	if err := c.Send(ctx, transport.Message{Topic: "events", Payload: []byte("online"), QoS: 1}); err != nil {
		log.Fatal(err)
	}
	for _, m := range broker.Received("gw-7") {
		fmt.Println(m.Topic, string(m.Payload))
	}
	// Output:
	// true true 2
	// gw-7/events boot
	// gw-7/events reading
	// gw-7/events online
}
