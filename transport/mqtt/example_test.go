package mqtt_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// A gateway connects to the plant's broker, answers a request, and the
// broker sees the canonical topics under the device's prefix. Here the
// broker is the in-process mqttxtest one; in production Server is, say,
// "tls://broker.plant.local:8883" with a TLSConfig trusting the plant's CA.
func ExampleNew() {
	broker, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close()

	conn, err := mqtt.New(mqtt.Config{
		Server:      broker.URL(),
		DeviceID:    "gw-7",
		TopicPrefix: "plant-3/{device}/",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	done := make(chan struct{})
	err = conn.Handle(ctx, "request/#", func(ctx context.Context, m transport.Message) {
		fmt.Printf("request %s: %s\n", m.Topic, m.Payload)
		_ = conn.Send(ctx, transport.Message{Topic: "response/sensor/list", Payload: []byte(`["t1","t2"]`), QoS: 1})
		close(done)
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = broker.Publish("plant-3/gw-7/request/sensor/list", []byte(`{"tid":"42"}`), 1, false)
	<-done
	for _, m := range broker.Received("gw-7") {
		fmt.Printf("broker got %s: %s\n", m.Topic, m.Payload)
	}
	// Output:
	// request request/sensor/list: {"tid":"42"}
	// broker got plant-3/gw-7/response/sensor/list: ["t1","t2"]
}

// The Dialect is the adapter's pure topic translation and rule checking.
func ExampleDialect() {
	d, err := mqtt.NewDialect(mqtt.Config{DeviceID: "gw-7"})
	if err != nil {
		log.Fatal(err)
	}
	topic, _ := d.PublishTopic(transport.Message{Topic: "events"})
	filter, _ := d.SubscribeFilter("request/#")
	in, ok := d.Incoming(transport.Message{Topic: "gw-7/request/reboot"})
	fmt.Println(topic, filter, in.Topic, ok)

	_, err = d.PublishTopic(transport.Message{Topic: "events", Properties: transport.Properties{ContentType: "application/json"}})
	fmt.Println(err != nil)
	fmt.Println(d.CheckPublish("gw-7/events", nil, 2))
	// Output:
	// gw-7/events gw-7/request/# request/reboot true
	// true
	// transport: mqtt: QoS 2 exceeds 1
}
