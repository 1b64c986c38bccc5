package shadow_test

import (
	"context"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/shadow"
)

// FuzzReceive delivers arbitrary payloads on each of the shadow's response
// topics to a client and checks that it neither panics nor stops working:
// a request made afterwards is still answered.
func FuzzReceive(f *testing.F) {
	f.Add(uint8(0), []byte(`{"state":{"desired":{"a":1},"delta":{"a":1}},"metadata":{},"version":3,"timestamp":1}`))
	f.Add(uint8(2), []byte(`{"state":{"reported":null},"metadata":{"timestamp":1},"version":1,"clientToken":"x"}`))
	f.Add(uint8(4), []byte(`{"state":{"a":{"b":[1,2]}},"metadata":{},"version":9}`))
	f.Add(uint8(5), []byte(`{"previous":{"state":{},"metadata":{},"version":1},"current":{"state":{"desired":{"a":1}},"metadata":{},"version":2}}`))
	f.Add(uint8(1), []byte(`{"code":404,"message":"x"}`))
	f.Add(uint8(6), []byte(`{"version":-1}`))
	topics := []string{"/get/accepted", "/get/rejected", "/update/accepted", "/update/rejected", "/update/delta", "/update/documents", "/delete/accepted", "/delete/rejected"}
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		svc := shadowsvc.New(shadowsvc.Options{})
		ft := newFakeTransport(thing, svc)
		defer ft.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := shadow.New(ctx, ft,
			shadow.WithDeltaHandler(func(context.Context, shadow.Delta) {}),
			shadow.WithDocumentsHandler(func(context.Context, shadow.Documents) {}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		ft.release(shadowsvc.Publish{Topic: classic + topics[int(which)%len(topics)], Payload: payload})
		if _, err := c.UpdateReported(ctx, map[string]any{"ok": true}); err != nil {
			t.Fatalf("update after the message: %v", err)
		}
	})
}
