package azureiottest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/twin"
)

// The cloud changes a device's desired properties; the device's twin
// client applies them and reports its state, which the hub stores.
func ExampleHub_UpdateDesired() {
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

	changes := make(chan twin.DesiredPatch, 10)
	c, err := twin.New(conn, twin.WithDesiredHandler(func(_ context.Context, p twin.DesiredPatch) { changes <- p }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	<-changes // the initial desired properties, empty

	// The back end asks for 22.5 °C.
	version, err := h.UpdateDesired("thermostat-1", map[string]any{"setpoint": 22.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("desired version", version)
	p := <-changes
	fmt.Println("device got", p.Version, p.Patch)
	if _, err := c.UpdateReported(ctx, map[string]any{"setpoint": p.Patch["setpoint"]}); err != nil {
		fmt.Println(err)
		return
	}

	tw, _ := h.Twin("thermostat-1")
	reported, _ := json.Marshal(tw.Reported.Values)
	fmt.Println("hub stores reported", tw.Reported.Version, string(reported))
	// Output:
	// desired version 2
	// device got 2 map[setpoint:22.5]
	// hub stores reported 2 {"setpoint":22.5}
}
