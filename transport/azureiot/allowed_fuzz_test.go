package azureiot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
)

// CanPublish is the hub's (and the emulator's) parser of the topics a
// device publishes to: whatever it accepts is a valid MQTT topic name under
// one of the documented prefixes, with a $rid where a request needs one,
// and stops being accepted once a wildcard or NUL is added. The Dialect's
// CheckPublish, which checks device-to-cloud topics itself, agrees with it.
func FuzzCanPublish(f *testing.F) {
	f.Add("devices/d1/messages/events/a=1&%24.ct=application%2Fjson", false)
	f.Add("devices/d1/modules/m1/messages/events/", true)
	f.Add("$iothub/twin/GET/?$rid=1", false)
	f.Add("$iothub/twin/PATCH/properties/reported/?$rid=r&x=1", true)
	f.Add("$iothub/methods/res/200/?$rid=7", false)
	f.Add("$iothub/methods/res/2000000000/?$rid=7", false)
	f.Fuzz(func(t *testing.T, topic string, module bool) {
		moduleID, prefix := "", "devices/d1/messages/events/"
		if module {
			moduleID, prefix = "m1", "devices/d1/modules/m1/messages/events/"
		}
		allowed := azureiot.CanPublish("d1", moduleID, topic)
		d, err := azureiot.NewDialect("d1", moduleID)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.CheckPublish(topic, nil, 1); allowed != (err == nil || errors.Is(err, transport.ErrPayloadTooLarge)) {
			t.Fatalf("CanPublish(%q) = %v, but CheckPublish = %v", topic, allowed, err)
		}
		if !allowed {
			return
		}
		if err := mqttx.ValidateTopicName(topic); err != nil {
			t.Fatalf("accepted %q, not a topic name: %v", topic, err)
		}
		switch {
		case strings.HasPrefix(topic, prefix):
			if _, err := azureiot.ParsePropertyBag(strings.TrimPrefix(topic, prefix)); err != nil {
				t.Fatalf("accepted %q with a malformed property bag: %v", topic, err)
			}
		case strings.HasPrefix(topic, "$iothub/twin/GET/?"),
			strings.HasPrefix(topic, "$iothub/twin/PATCH/properties/reported/?"),
			strings.HasPrefix(topic, "$iothub/methods/res/"):
			if !strings.Contains(topic, "$rid=") {
				t.Fatalf("accepted request topic %q without $rid", topic)
			}
		default:
			t.Fatalf("accepted %q, under no documented prefix", topic)
		}
		for _, bad := range []string{"+", "#", "\x00"} {
			if azureiot.CanPublish("d1", moduleID, topic+bad) {
				t.Fatalf("accepted %q", topic+bad)
			}
		}
	})
}

// CanSubscribe accepts exactly the documented filters, and nothing else.
func FuzzCanSubscribe(f *testing.F) {
	f.Add("devices/d1/messages/devicebound/#", false)
	f.Add("$iothub/twin/res/#", true)
	f.Add("$iothub/methods/POST/+", false)
	f.Fuzz(func(t *testing.T, filter string, module bool) {
		moduleID := ""
		if module {
			moduleID = "m1"
		}
		want := filter == azureiot.TwinResponseFilter || filter == azureiot.TwinDesiredFilter ||
			filter == azureiot.MethodRequestFilter || !module && filter == "devices/d1/messages/devicebound/#"
		if got := azureiot.CanSubscribe("d1", moduleID, filter); got != want {
			t.Fatalf("CanSubscribe(%q, module %v) = %v, want %v", filter, module, got, want)
		}
	})
}
