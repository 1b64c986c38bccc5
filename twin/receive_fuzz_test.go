package twin_test

import (
	"context"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/twinsvc"
	"github.com/tether-iot/tether/twin"
)

// FuzzReceive delivers an arbitrary message on the twin's desired-patch or
// response topics to a synced client and checks that it neither panics
// nor stops working: a reported update made afterwards is still
// acknowledged, and Get still returns the hub's state.
func FuzzReceive(f *testing.F) {
	f.Add(uint8(0), "?$version=2", []byte(`{"a":1,"$version":2}`))
	f.Add(uint8(0), "?$version=99", []byte(`{"a":{"b":null}}`))
	f.Add(uint8(0), "?$version=x", []byte(`[]`))
	f.Add(uint8(1), "200/?$rid=1", []byte(`{"desired":{"$version":1},"reported":{"$version":1}}`))
	f.Add(uint8(1), "204/?$rid=999&$version=7", []byte{})
	f.Add(uint8(1), "429/?$rid=", []byte(`{`))
	prefixes := []string{"$iothub/twin/PATCH/properties/desired/", "$iothub/twin/res/"}
	f.Fuzz(func(t *testing.T, which uint8, rest string, payload []byte) {
		svc := twinsvc.New()
		ft := newFake(svc, device)
		defer ft.Close(context.Background())
		c, err := twin.New(ft,
			twin.WithDesiredHandler(func(context.Context, twin.DesiredPatch) {}),
			twin.WithRetryBackoff(time.Millisecond, 5*time.Millisecond),
			twin.WithRequestTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Get(ctx); err != nil {
			t.Fatal(err)
		}

		ft.deliverRaw(prefixes[int(which)%len(prefixes)]+rest, payload)

		if _, err := c.UpdateReported(ctx, map[string]any{"ok": true}); err != nil {
			t.Fatalf("reported update after the message: %v", err)
		}
		if _, err := ft.publishDesired(map[string]any{"after": "fuzz"}); err != nil {
			t.Fatal(err)
		}
		tw, err := c.Get(ctx)
		if err != nil {
			t.Fatalf("Get after the message: %v", err)
		}
		if tw.Desired.Values["after"] != "fuzz" || tw.Reported.Values["ok"] != true {
			t.Fatalf("Get = %+v, want the hub's desired and reported state", tw)
		}
	})
}
