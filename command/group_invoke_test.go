package command_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/transport"
)

func TestInvokeGroupReportsSilentDevices(t *testing.T) {
	for _, scheme := range []command.Scheme{command.SchemeCanonical, command.SchemeCmd} {
		t.Run(scheme.String(), func(t *testing.T) {
			b := newBus(t)
			b.setDuplicate(true)
			var effects atomic.Int64
			r := command.NewRouter()
			r.HandleFunc("relay.set", func(ctx context.Context, req *command.Request) command.Response {
				effects.Add(1)
				return command.JSON(200, map[string]string{"state": "on"})
			})
			for _, id := range []string{"gw-b", "gw-a"} {
				mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, id), r,
					command.WithScheme(scheme), command.WithGroups("floor-3", "all"))
			}
			// gw-c is in another group; gw-d is not connected at all.
			mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-c"), r,
				command.WithScheme(scheme), command.WithGroups("floor-4"))
			inv := fastInvoker(t, newFakeTransport(t, b, transport.CloudAWS, "app"),
				command.InvokerConfig{Scheme: scheme, AttemptTimeout: 50 * time.Millisecond, Attempts: 2})

			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			res, err := inv.InvokeGroup(ctx, "floor-3", "relay.set", map[string]bool{"on": true},
				[]string{"gw-a", "gw-b", "gw-d", "gw-c"})
			if err != nil {
				t.Fatal(err)
			}
			var answered []string
			for _, a := range res.Answers {
				if a.Status != 200 || string(a.Payload) != `{"state":"on"}` || a.TID != res.TID {
					t.Fatalf("answer %+v", a)
				}
				answered = append(answered, a.Device)
			}
			if !slices.Equal(answered, []string{"gw-a", "gw-b"}) || !slices.Equal(res.Missing, []string{"gw-d", "gw-c"}) {
				t.Fatalf("answered %v missing %v; want [gw-a gw-b] and [gw-d gw-c]", answered, res.Missing)
			}
			// Duplicated deliveries and the re-publish for the silent ones
			// ran each member's handler once.
			if n := effects.Load(); n != 2 {
				t.Fatalf("handlers ran %d times, want 2", n)
			}
			if n := len(b.messages("group/floor-3/request/relay/set")); n != 2 {
				t.Fatalf("%d group publishes, want 2 (Attempts)", n)
			}
		})
	}
}

func TestInvokeGroupEndsWhenAllExpectedAnswered(t *testing.T) {
	b := newBus(t)
	r, _ := testRouter(nil)
	mustDevice(t, newFakeTransport(t, b, transport.CloudAWS, "gw-a"), r, command.WithGroups("g"))
	inv := fastInvoker(t, newFakeTransport(t, b, transport.CloudAWS, "app"), command.InvokerConfig{AttemptTimeout: 10 * time.Second})
	start := time.Now()
	res, err := inv.InvokeGroup(t.Context(), "g", "sensor.list", nil, []string{"gw-a"})
	if err != nil || len(res.Answers) != 1 || len(res.Missing) != 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("InvokeGroup = %+v, %v after %v", res, err, time.Since(start))
	}
	if _, err := inv.InvokeGroup(t.Context(), "bad/group", "sensor.list", nil, nil); err == nil {
		t.Fatal("invalid group accepted")
	}
}
