package awsiottest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// The cloud changes a shadow's desired state; the device's shadow client
// gets the delta, applies it and reports the new state.
func ExampleEmulator_SetDesired() {
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

	deltas := make(chan shadow.Delta, 1)
	sh, err := shadow.New(ctx, conn, shadow.WithDeltaHandler(func(_ context.Context, d shadow.Delta) {
		deltas <- d
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sh.Close(ctx)
	if _, err := sh.UpdateReported(ctx, map[string]any{"fan": 1}); err != nil {
		fmt.Println(err)
		return
	}

	// The console asks for fan speed 3.
	if err := e.SetDesired("gateway-7", "", map[string]any{"fan": 3}); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case d := <-deltas:
		fmt.Println("delta:", d.Version, d.State)
		if _, err := sh.UpdateReported(ctx, d.State); err != nil {
			fmt.Println(err)
			return
		}
	case <-ctx.Done():
		fmt.Println("no delta")
		return
	}

	doc, _ := e.ShadowDocument("gateway-7", "")
	fmt.Println("cloud:", doc.Version, doc.State.Reported, "delta:", doc.State.Delta)
	// Output:
	// delta: 2 map[fan:3]
	// cloud: 3 map[fan:3] delta: map[]
}
