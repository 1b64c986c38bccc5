package azureiottest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// Start an emulated hub, register a device, send an event with properties
// and look at what the hub received. In a test, azureiottest.New(t) does
// the start and the cleanup.
func Example() {
	h, err := azureiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()

	conn, err := azureiot.New(h.AddDevice("thermostat-1"))
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

	err = conn.Send(ctx, transport.Message{
		Topic:   "telemetry/temperature",
		Payload: []byte(`{"celsius":21.5}`),
		QoS:     1,
		Properties: transport.Properties{
			ContentType:     "application/json",
			ContentEncoding: "utf-8",
			Application:     map[string]string{"unit": "°C", "room": "living & dining"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	msgs, err := h.WaitD2C(ctx, "thermostat-1", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := msgs[0]
	fmt.Println("topic:", m.RawTopic)
	fmt.Println("canonical:", m.Topic)
	fmt.Println("content type:", m.Properties.ContentType, m.Properties.ContentEncoding)
	fmt.Println("room:", m.Properties.Application["room"])
	fmt.Println("payload:", string(m.Payload))

	// Output:
	// topic: devices/thermostat-1/messages/events/subtopic=telemetry.temperature&%24.ct=application%2Fjson&%24.ce=utf-8&room=living%20%26%20dining&unit=%C2%B0C
	// canonical: telemetry/temperature
	// content type: application/json utf-8
	// room: living & dining
	// payload: {"celsius":21.5}
}

// Send a cloud-to-device message; the device's handler sees it on its
// canonical topic.
func ExampleHub_SendC2D() {
	h, err := azureiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	conn, err := azureiot.New(h.AddDevice("gw-7"))
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

	got := make(chan transport.Message, 1)
	if err := conn.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) { got <- m }); err != nil {
		fmt.Println(err)
		return
	}
	err = h.SendC2D("gw-7", []byte(`{"id":12}`), azureiot.Properties{
		MessageID:   "cmd-1",
		Application: map[string]string{azureiot.SubtopicProperty: "request.sensor.list"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := <-got
	fmt.Println(m.Topic, m.Properties.MessageID, string(m.Payload))

	// Output:
	// request/sensor/list cmd-1 {"id":12}
}
