package awsiottest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// Start an emulator, connect a device to it, send an event, and look at
// what the cloud saw.
func Example() {
	e, err := awsiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	conn, err := awsiot.New(e.DeviceConfig("gateway-7"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)

	err = conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"temp":21.5}`), QoS: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range e.Received("gateway-7") {
		fmt.Printf("%s %s\n", m.Topic, m.Payload)
	}
	c := e.Connections()[0]
	fmt.Println(c.ClientID, c.Auth, c.Certificate.Subject.CommonName)
	// Output:
	// gateway-7/events {"temp":21.5}
	// gateway-7 AuthX509 gateway-7
}

// The emulator closes the connection, as AWS IoT Core does, on what the
// awsiot adapter refuses locally; Violations says why.
func ExampleEmulator_Violations() {
	e, err := awsiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	conn, err := awsiot.New(e.DeviceConfig("gateway-7"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)

	// The adapter refuses locally: the connection stays up.
	err = conn.Send(ctx, transport.Message{Topic: "events", Payload: make([]byte, awsiot.MaxPayloadSize+1)})
	fmt.Println(errors.Is(err, transport.ErrPayloadTooLarge), len(e.Violations()))
	// Output:
	// true 0
}
