package twin_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/twin"
)

// A device keeps its desired properties in sync and reports its state. The
// transport here is an in-process fake of the hub; on a device it is the
// azureiot adapter's connection.
func Example() {
	ctx := context.Background()
	hub := twinsvc.New()
	hub.UpdateDesired("dev1", map[string]any{"interval": 30, "mode": "eco"})
	conn := newFake(hub, "dev1")
	defer conn.Close(ctx)

	changes := make(chan twin.DesiredPatch, 10)
	c, err := twin.New(conn,
		twin.WithDesiredHandler(func(ctx context.Context, p twin.DesiredPatch) { changes <- p }),
		twin.WithKeyMapping(nil), // the firmware says "fan speed"; the hub wants "fanspeed"
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	show := func(p twin.DesiredPatch) {
		patch, _ := json.Marshal(p.Patch)
		desired, _ := json.Marshal(p.Desired)
		fmt.Printf("desired v%d resynced=%v patch=%s state=%s\n", p.Version, p.Resynced, patch, desired)
	}
	show(<-changes) // the initial state, from the GET

	version, err := c.UpdateReported(ctx, map[string]any{"fan speed": 3, "firmware": "1.4.2"})
	fmt.Println("reported version", version, err)

	conn.publishDesired(map[string]any{"interval": 60}) // the hub notifies the device
	show(<-changes)

	conn.disconnect()
	conn.publishDesired(map[string]any{"mode": nil}) // lost: the device is offline
	conn.reconnect()
	show(<-changes) // the client GETs after the reconnect and hands over the difference

	tw, _ := hub.Twin("dev1")
	reported, _ := json.Marshal(tw.Reported.Values)
	fmt.Println("hub has reported", string(reported))
	// Output:
	// desired v2 resynced=true patch={"interval":30,"mode":"eco"} state={"interval":30,"mode":"eco"}
	// reported version 2 <nil>
	// desired v3 resynced=false patch={"interval":60} state={"interval":60,"mode":"eco"}
	// desired v4 resynced=true patch={"mode":null} state={"interval":60}
	// hub has reported {"fanspeed":3,"firmware":"1.4.2"}
}
