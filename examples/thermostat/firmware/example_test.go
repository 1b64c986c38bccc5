package firmware_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tether-iot/tether/examples/thermostat/firmware"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
	"github.com/tether-iot/tether/twin"
)

// The thermostat on an emulated Azure IoT Hub: the back end asks for
// 22.5 °C, the firmware applies it and reports until the room is there.
// On AWS only the Syncer changes: a shadow.Client instead of a twin.Client.
func ExampleRun() {
	hub, err := azureiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close()
	conn, err := azureiot.New(hub.AddDevice("thermostat-1"))
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
	defer conn.Close(context.Background())
	tw, err := twin.New(conn)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tw.Close()

	fwctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- firmware.Run(fwctx, tw, firmware.Config{
			Tick:       10 * time.Millisecond,
			Telemetry:  conn,
			OnSetpoint: func(sp float64, v int64) { fmt.Printf("device: setpoint %v (desired version %d)\n", sp, v) },
		})
	}()
	defer func() { stop(); <-done }()

	if _, err := hub.UpdateDesired("thermostat-1", map[string]any{"setpoint": 22.5}); err != nil {
		fmt.Println(err)
		return
	}
	for {
		t, _ := hub.Twin("thermostat-1")
		if fmt.Sprint(t.Reported.Values["temperature"]) == "22.5" {
			reported, _ := json.Marshal(t.Reported.Values)
			fmt.Println("hub: reported", string(reported))
			break
		}
		select {
		case <-ctx.Done():
			fmt.Println("the room never got there")
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Output:
	// device: setpoint 22.5 (desired version 2)
	// hub: reported {"setpoint":22.5,"temperature":22.5}
}
