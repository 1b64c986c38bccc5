package mqttx_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

func ExampleMatchTopic() {
	fmt.Println(mqttx.MatchTopic("sensors/+/temp", "sensors/12/temp"))
	fmt.Println(mqttx.MatchTopic("sensors/#", "sensors"))
	fmt.Println(mqttx.MatchTopic("#", "$SYS/uptime"))
	fmt.Println(mqttx.ValidateTopicFilter("sensors/#/temp"))
	// Output:
	// true
	// true
	// false
	// mqttx: invalid topic filter "sensors/#/temp": # must be the last level
}

func ExampleClient() {
	broker, err := mqttxtest.Start() // an in-process broker; use your broker's URL instead
	if err != nil {
		panic(err)
	}
	defer broker.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttx.New(mqttx.Options{Server: broker.URL(), ClientID: "example"})
	if err != nil {
		panic(err)
	}
	got := make(chan string, 1)
	// Registered now, sent on every (re)connect.
	err = c.Subscribe(ctx, "greetings/+", 1, func(ctx context.Context, m mqttx.Message) {
		got <- m.Topic + ": " + string(m.Payload)
	})
	if err != nil {
		panic(err)
	}
	if err := c.Connect(ctx); err != nil {
		panic(err)
	}
	if err := c.Publish(ctx, "greetings/world", []byte("hello"), 1, false); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	if err := c.Disconnect(ctx); err != nil {
		panic(err)
	}
	// Output: greetings/world: hello
}

// A handler that starts long work detaches first: the messages after it
// are handled meanwhile, by another worker.
func ExampleDetach() {
	broker, err := mqttxtest.Start()
	if err != nil {
		panic(err)
	}
	defer broker.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttx.New(mqttx.Options{Server: broker.URL(), ClientID: "example-detach"})
	if err != nil {
		panic(err)
	}
	if err := c.Connect(ctx); err != nil {
		panic(err)
	}
	update := make(chan struct{})
	done := make(chan string, 2)
	err = c.Subscribe(ctx, "jobs/+", 1, func(ctx context.Context, m mqttx.Message) {
		if m.Topic == "jobs/firmware" {
			mqttx.Detach(ctx) // the order of later jobs no longer depends on this one
			<-update          // a long download, say
		}
		done <- m.Topic
	})
	if err != nil {
		panic(err)
	}
	for _, job := range []string{"jobs/firmware", "jobs/ping"} {
		if err := c.Publish(ctx, job, nil, 1, false); err != nil {
			panic(err)
		}
	}
	fmt.Println(<-done) // jobs/ping, while jobs/firmware still runs
	close(update)
	fmt.Println(<-done)
	if err := c.Disconnect(ctx); err != nil {
		panic(err)
	}
	// Output:
	// jobs/ping
	// jobs/firmware
}
