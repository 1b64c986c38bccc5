package mqttxtest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// A device connects to the broker, receives a command the test publishes, and sends telemetry the test
// inspects. In a test, mqttxtest.NewBroker(t) starts the broker and closes it when the test ends.
func ExampleStart() {
	b, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	device := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("device-1"))
	if tok := device.Connect(); tok.Wait() && tok.Error() != nil {
		log.Fatal(tok.Error())
	}
	defer device.Disconnect(0)
	commands := make(chan string, 1)
	device.Subscribe("commands/#", 1, func(_ paho.Client, m paho.Message) {
		commands <- m.Topic() + " " + string(m.Payload())
	}).Wait()

	_ = b.Publish("commands/reboot", []byte("now"), 1, false)
	fmt.Println("device got:", <-commands)

	device.Publish("telemetry", 1, false, "21.5").Wait()
	for _, m := range b.Received("device-1") {
		fmt.Printf("broker got: %s %s (QoS %d)\n", m.Topic, m.Payload, m.QoS)
	}
	// Output:
	// device got: commands/reboot now
	// broker got: telemetry 21.5 (QoS 1)
}

// An emulated cloud service consumes requests with an interceptor and answers the requesting client with
// PublishTo.
func ExampleWithInterceptor() {
	var b *mqttxtest.Broker
	b, err := mqttxtest.Start(mqttxtest.WithInterceptor(func(client string, m mqttxtest.Message) bool {
		if m.Topic != "service/time/get" {
			return false
		}
		_ = b.PublishTo(client, "service/time/accepted", []byte(`{"time":0}`), 1)
		return true
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	device := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("device-1"))
	if tok := device.Connect(); tok.Wait() && tok.Error() != nil {
		log.Fatal(tok.Error())
	}
	defer device.Disconnect(0)
	answers := make(chan string, 1)
	device.Subscribe("service/time/accepted", 1, func(_ paho.Client, m paho.Message) {
		answers <- string(m.Payload())
	}).Wait()
	device.Publish("service/time/get", 1, false, "").Wait()
	fmt.Println(<-answers)
	// Output:
	// {"time":0}
}

// A device with automatic reconnection rides out a broker restart: the broker goes down for 200 ms,
// refusing connections, and comes back on the same port, where the device's persistent session waits.
func ExampleBroker_Restart() {
	b, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	opts := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("device-1").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(100 * time.Millisecond)
	device := paho.NewClient(opts)
	if tok := device.Connect(); tok.Wait() && tok.Error() != nil {
		log.Fatal(tok.Error())
	}
	defer device.Disconnect(0)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Restart(ctx, 200*time.Millisecond); err != nil {
		log.Fatal(err)
	}
	if err := b.WaitConnected(ctx, "device-1"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("restarts:", b.Stats().Restarts, "connects:", b.Stats().Connects)
	// Output:
	// restarts: 1 connects: 2
}
