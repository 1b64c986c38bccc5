package twinsvc_test

import (
	"fmt"

	"github.com/tether-iot/tether/internal/twinsvc"
)

// A device reads its twin, reports a property and receives a desired patch,
// with the service playing the hub.
func Example() {
	svc := twinsvc.New()

	for _, r := range svc.HandlePublish("dev1", "$iothub/twin/GET/?$rid=1", nil) {
		fmt.Println(r.Topic, string(r.Payload))
	}
	for _, r := range svc.HandlePublish("dev1", "$iothub/twin/PATCH/properties/reported/?$rid=2", []byte(`{"fw":"1.2"}`)) {
		fmt.Println(r.Topic)
	}
	for _, r := range svc.HandlePublish("dev1", "$iothub/twin/PATCH/properties/reported/?$rid=3", []byte(`{"fan speed":3}`)) {
		fmt.Println(r.Topic)
	}

	// The service API changes desired properties; the emulator delivers the
	// notification only if the device is online and subscribed.
	version, notes, _ := svc.UpdateDesired("dev1", map[string]any{"interval": 60})
	fmt.Println("desired version", version)
	for _, n := range notes {
		fmt.Println(n.Topic, string(n.Payload))
	}

	// Inject throttling for the next request.
	svc.FailNext("dev1", 429, 1)
	for _, r := range svc.HandlePublish("dev1", "$iothub/twin/GET/?$rid=4", nil) {
		fmt.Println(r.Topic)
	}

	tw, _ := svc.Twin("dev1")
	fmt.Println("reported", tw.Reported.Values, "version", tw.Reported.Version)
	// Output:
	// $iothub/twin/res/200/?$rid=1 {"desired":{"$version":1},"reported":{"$version":1}}
	// $iothub/twin/res/204/?$rid=2&$version=2
	// $iothub/twin/res/400/?$rid=3
	// desired version 2
	// $iothub/twin/PATCH/properties/desired/?$version=2 {"$version":2,"interval":60}
	// $iothub/twin/res/429/?$rid=4
	// reported map[fw:1.2] version 2
}
