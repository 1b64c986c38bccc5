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
)

// Firmware speaks canonical topics through a Transport; the adapter (here
// the plain MQTT one, against the in-process broker) translates them.
// The same code runs on AWS IoT Core (awsiot.New) or Azure IoT Hub
// (azureiot.New).
func Example() {
	broker, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close()

	var t transport.Transport
	t, err = mqtt.New(mqtt.Config{Server: broker.URL(), DeviceID: "gw-7"})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connected := make(chan struct{}, 1)
	stop := t.Watch(func(ev transport.Event) {
		if ev.Kind == transport.EventConnected {
			connected <- struct{}{}
		}
	})
	defer stop()
	if err := t.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer t.Close(ctx)
	<-connected
	fmt.Println("connected as", t.Info().DeviceID)

	requests := make(chan transport.Message, 1)
	if err := t.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) { requests <- m }); err != nil {
		log.Fatal(err)
	}
	_ = broker.Publish("gw-7/request/sensor/list", []byte(`{"tid":"1"}`), 1, false)
	m := <-requests
	fmt.Printf("handled %s %s\n", m.Topic, m.Payload)

	if err := t.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"temp":21.5}`), QoS: 1}); err != nil {
		log.Fatal(err)
	}
	for _, m := range broker.Received("gw-7") {
		fmt.Printf("broker got %s %s\n", m.Topic, m.Payload)
	}

	// The cloud's rules are checked before anything is sent.
	err = t.Send(ctx, transport.Message{Topic: "events/+"})
	fmt.Println(errors.Is(err, transport.ErrInvalidTopic))
	// Output:
	// connected as gw-7
	// handled request/sensor/list {"tid":"1"}
	// broker got gw-7/events {"temp":21.5}
	// true
}

func ExampleValidateFilter() {
	for _, f := range []string{"request/#", "request/+/list", "request/#/x", "$iothub/#"} {
		fmt.Println(f, transport.ValidateFilter(f) == nil)
	}
	// Output:
	// request/# true
	// request/+/list true
	// request/#/x false
	// $iothub/# false
}
