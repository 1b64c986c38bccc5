package azureiottest

import (
	"fmt"
	"testing"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/azureiot"
)

// IoT Hub allows 5 subscriptions. Devices have only 4 distinct filters to
// subscribe to, so the limit cannot be reached through the protocol; the
// hub still enforces it.
func TestSubscriptionLimit(t *testing.T) {
	h := New(t)
	h.mu.Lock()
	s := h.session("dev1")
	for i := 0; i < azureiot.MaxSubscriptions-1; i++ {
		s.subs[fmt.Sprintf("filter/%d", i)] = struct{}{}
	}
	h.mu.Unlock()
	sub := func(filter string) mqttxtest.Decision {
		return h.authorize(mqttxtest.Action{ClientID: "dev1", Subscribe: true, Topic: filter, QoS: 1})
	}
	if d := sub(azureiot.TwinResponseFilter); d != mqttxtest.Allow {
		t.Fatalf("5th subscription: %v", d)
	}
	if d := sub(azureiot.TwinResponseFilter); d != mqttxtest.Allow {
		t.Fatalf("5th subscription again: %v", d)
	}
	if d := sub(azureiot.MethodRequestFilter); d != mqttxtest.Disconnect {
		t.Fatalf("6th subscription: %v, want Disconnect", d)
	}
}

func TestHandleRejectsPrefix(t *testing.T) {
	h, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	defer func() {
		if recover() == nil {
			t.Error("Handle with a prefix outside $iothub/ did not panic (no test to fail)")
		}
	}()
	h.Handle("devices/", func(Request) {})
}
