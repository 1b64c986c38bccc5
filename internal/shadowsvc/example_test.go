package shadowsvc_test

import (
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/shadowsvc"
)

// Example shows the service answering a device's update and a cloud-side
// desired change, as the AWS emulator drives it.
func Example() {
	svc := shadowsvc.New(shadowsvc.Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})

	replies, handled := svc.HandlePublish("gw-1", "$aws/things/gw-1/shadow/update",
		[]byte(`{"state":{"reported":{"fan":1}},"clientToken":"t1"}`))
	fmt.Println("handled:", handled)
	for _, p := range replies {
		fmt.Println(p.Topic, string(p.Payload))
	}

	// The cloud side changes desired; deliver these only to subscribers
	// connected now.
	replies, _ = svc.SetDesired("gw-1", "", map[string]any{"fan": 3})
	fmt.Println(replies[1].Topic, string(replies[1].Payload))

	doc, _ := svc.Document("gw-1", "")
	fmt.Println("version:", doc.Version, "delta:", doc.State.Delta)
	// Output:
	// handled: true
	// $aws/things/gw-1/shadow/update/accepted {"state":{"reported":{"fan":1}},"metadata":{"reported":{"fan":{"timestamp":1700000000}}},"version":1,"timestamp":1700000000,"clientToken":"t1"}
	// $aws/things/gw-1/shadow/update/documents {"current":{"state":{"reported":{"fan":1}},"metadata":{"reported":{"fan":{"timestamp":1700000000}}},"version":1},"timestamp":1700000000,"clientToken":"t1"}
	// $aws/things/gw-1/shadow/update/delta {"state":{"fan":3},"metadata":{"fan":{"timestamp":1700000000}},"version":2,"timestamp":1700000000}
	// version: 2 delta: map[fan:3]
}
