package methodsvc_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/methodsvc"
)

// An emulator plugs the Service in with two hooks and one call per device
// publish; here the "device" answers every method 200 at once.
func Example() {
	var svc *methodsvc.Service
	svc, _ = methodsvc.New(methodsvc.Config{
		IsSubscribed: func(deviceID string) bool { return deviceID == "dev1" },
		PublishTo: func(deviceID, topic string, payload []byte) error {
			fmt.Println("to", deviceID+":", topic)
			rid := topic[len("$iothub/methods/POST/reboot/?$rid="):]
			svc.HandleDevicePublish(deviceID, "$iothub/methods/res/200/?$rid="+rid, []byte(`{"rebooting":true}`))
			return nil
		},
	})
	status, payload, err := svc.InvokeMethod(context.Background(), "dev1", "reboot", nil, 10*time.Second)
	fmt.Println(status, string(payload), err)
	status, payload, _ = svc.InvokeMethod(context.Background(), "dev2", "reboot", nil, 10*time.Second)
	fmt.Println(status, string(payload))
	// Output:
	// to dev1: $iothub/methods/POST/reboot/?$rid=1
	// 200 {"rebooting":true} <nil>
	// 404 {"errorCode":404103,"message":"device is not online"}
}
