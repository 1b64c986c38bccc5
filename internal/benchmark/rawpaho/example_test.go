package rawpaho_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/rawpaho"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// A device answers a command and an application calls it, both on raw
// paho: the baseline of tether's command round trip.
func Example() {
	broker, err := mqttxtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	device, err := rawpaho.Connect(ctx, rawpaho.Config{Server: broker.URL(), ClientID: "dev-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer device.Close()
	echo := func(method string, payload json.RawMessage) (int, json.RawMessage) { return 200, payload }
	if err := rawpaho.Serve(ctx, device, "dev-1", echo); err != nil {
		log.Fatal(err)
	}

	app, err := rawpaho.Connect(ctx, rawpaho.Config{Server: broker.URL(), ClientID: "app-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	req, err := rawpaho.NewRequester(ctx, app, "app-1")
	if err != nil {
		log.Fatal(err)
	}
	status, resp, err := req.Call(ctx, "dev-1", "sensor.read", json.RawMessage(`{"bus":1}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status, string(resp))
	// Output: 200 {"bus":1}
}
