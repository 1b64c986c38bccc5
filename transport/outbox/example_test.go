package outbox_test

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/time/rate"

	"github.com/tether-iot/tether/transport/outbox"
)

// A transport queues QoS 1 messages while offline and replays them, paced,
// once connected. Nothing is dropped without a report.
func Example() {
	ob, err := outbox.Open(outbox.Options{
		MaxMessages: 2,
		OnDrop: func(rec outbox.Record, reason error) {
			fmt.Printf("dropped %d (%s): %v\n", rec.Seq, rec.Payload, reason)
		},
	})
	if err != nil {
		panic(err)
	}
	defer ob.Close()

	// Offline: three readings, room for two.
	for _, p := range []string{"21.0", "21.5", "22.0"} {
		if _, err := ob.Put(outbox.Record{Topic: "telemetry", Payload: []byte(p), QoS: 1}); err != nil {
			panic(err)
		}
	}

	// Connected: replay, at most 100 messages/s.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	send := func(ctx context.Context, rec outbox.Record) error {
		// A transport publishes here and returns once the PUBACK arrives.
		fmt.Printf("sent %d %s %s\n", rec.Seq, rec.Topic, rec.Payload)
		if rec.Seq == 3 {
			cancel() // end of the example's connection
		}
		return nil
	}
	err = ob.Run(ctx, send, outbox.Pace{Messages: rate.NewLimiter(100, 10)})
	fmt.Println(err, ob.Len())
	// Output:
	// dropped 1 (21.0): outbox: full
	// sent 2 telemetry 21.5
	// sent 3 telemetry 22.0
	// context canceled 0
}

// A durable outbox keeps its records across restarts.
func ExampleOpen_durable() {
	dir, err := os.MkdirTemp("", "outbox-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ob, err := outbox.Open(outbox.Options{Dir: dir, Sync: outbox.SyncAlways})
	if err != nil {
		panic(err)
	}
	seq, _ := ob.Put(outbox.Record{Topic: "events", Payload: []byte(`{"door":"open"}`), QoS: 1})
	ob.Close() // or a crash, or a power cut: Put had synced the record

	ob, err = outbox.Open(outbox.Options{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer ob.Close()
	fmt.Println(seq, ob.Len(), ob.Bytes())
	// Output:
	// 1 1 21
}
