package azureiot

import (
	"errors"
	"testing"
)

func TestCanPublish(t *testing.T) {
	tests := []struct {
		name           string
		device, module string
		topic          string
		want           bool
	}{
		{"events", "d1", "", "devices/d1/messages/events/", true},
		{"events with bag", "d1", "", "devices/d1/messages/events/subtopic=a.b&%24.ct=application%2Fjson", true},
		{"module events", "d1", "m1", "devices/d1/modules/m1/messages/events/k=v", true},
		{"twin GET", "d1", "", "$iothub/twin/GET/?$rid=42", true},
		{"twin GET with encoded rid name", "d1", "", "$iothub/twin/GET/?%24rid=42", true},
		{"reported patch", "d1", "", "$iothub/twin/PATCH/properties/reported/?$rid=abc-1", true},
		{"method response", "d1", "", "$iothub/methods/res/200/?$rid=7", true},
		{"method response 504", "d1", "m1", "$iothub/methods/res/504/?$rid=7", true},
		{"module twin GET", "d1", "m1", "$iothub/twin/GET/?$rid=1", true},

		{"other device events", "d1", "", "devices/d2/messages/events/", false},
		{"device events from module", "d1", "m1", "devices/d1/messages/events/", false},
		{"module events from device", "d1", "", "devices/d1/modules/m1/messages/events/", false},
		{"events without trailing slash", "d1", "", "devices/d1/messages/events", false},
		{"events with malformed bag", "d1", "", "devices/d1/messages/events/a=%zz", false},
		{"events with wildcard", "d1", "", "devices/d1/messages/events/#", false},
		{"events with plus", "d1", "", "devices/d1/messages/events/a=b+c", false},
		{"devicebound", "d1", "", "devices/d1/messages/devicebound/", false},
		{"twin GET without rid", "d1", "", "$iothub/twin/GET/", false},
		{"twin GET empty rid", "d1", "", "$iothub/twin/GET/?$rid=", false},
		{"twin GET null rid", "d1", "", "$iothub/twin/GET/?$rid", false},
		{"twin GET extra property", "d1", "", "$iothub/twin/GET/?$rid=1&x=2", false},
		{"twin GET lower-case", "d1", "", "$iothub/twin/get/?$rid=1", false},
		{"desired patch publish", "d1", "", "$iothub/twin/PATCH/properties/desired/?$rid=1", false},
		{"method response no status", "d1", "", "$iothub/methods/res//?$rid=1", false},
		{"method response bad status", "d1", "", "$iothub/methods/res/2x0/?$rid=1", false},
		{"method response status too long", "d1", "", "$iothub/methods/res/1234567890/?$rid=1", false},
		{"method response no rid", "d1", "", "$iothub/methods/res/200/", false},
		{"method request publish", "d1", "", "$iothub/methods/POST/m/?$rid=1", false},
		{"random", "d1", "", "telemetry", false},
		{"empty", "d1", "", "", false},
		{"NUL", "d1", "", "devices/d1/messages/events/\x00", false},
		{"invalid UTF-8", "d1", "", "devices/d1/messages/events/\xff", false},
		{"invalid device id", "d 1", "", "devices/d 1/messages/events/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanPublish(tt.device, tt.module, tt.topic); got != tt.want {
				t.Errorf("CanPublish(%q, %q, %q) = %v, want %v", tt.device, tt.module, tt.topic, got, tt.want)
			}
		})
	}
}

func TestCanSubscribe(t *testing.T) {
	tests := []struct {
		name           string
		device, module string
		filter         string
		want           bool
	}{
		{"C2D", "d1", "", "devices/d1/messages/devicebound/#", true},
		{"twin responses", "d1", "", "$iothub/twin/res/#", true},
		{"desired patches", "d1", "", "$iothub/twin/PATCH/properties/desired/#", true},
		{"methods", "d1", "", "$iothub/methods/POST/#", true},
		{"module twin responses", "d1", "m1", TwinResponseFilter, true},
		{"module desired", "d1", "m1", TwinDesiredFilter, true},
		{"module methods", "d1", "m1", MethodRequestFilter, true},

		{"module C2D", "d1", "m1", "devices/d1/messages/devicebound/#", false},
		{"other device C2D", "d1", "", "devices/d2/messages/devicebound/#", false},
		{"C2D without wildcard", "d1", "", "devices/d1/messages/devicebound/", false},
		{"C2D single-level wildcard", "d1", "", "devices/d1/messages/devicebound/+", false},
		{"all twin", "d1", "", "$iothub/twin/#", false},
		{"everything", "d1", "", "#", false},
		{"events", "d1", "", "devices/d1/messages/events/#", false},
		{"one method", "d1", "", "$iothub/methods/POST/reboot/#", false},
		{"empty", "d1", "", "", false},
		{"invalid device id", "d/1", "", "$iothub/twin/res/#", false},
		{"device id with wildcard", "d+1", "", "$iothub/twin/res/#", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanSubscribe(tt.device, tt.module, tt.filter); got != tt.want {
				t.Errorf("CanSubscribe(%q, %q, %q) = %v, want %v", tt.device, tt.module, tt.filter, got, tt.want)
			}
		})
	}
}

func TestC2DFilter(t *testing.T) {
	got, err := C2DFilter("d1")
	if err != nil || got != "devices/d1/messages/devicebound/#" {
		t.Errorf("C2DFilter = %q, %v", got, err)
	}
	if _, err := C2DFilter("d#1"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("C2DFilter(d#1) = %v, want ErrInvalidID", err)
	}
}

// TestD2CTopicIsPublishable ties the topic builder to the predicate.
func TestD2CTopicIsPublishable(t *testing.T) {
	for _, c := range []string{"events", "a/b", "x y/z&w"} {
		for _, mod := range []string{"", "m1"} {
			topic, err := D2CTopic("d1", mod, c, Properties{MessageID: "1", Application: map[string]string{"k": "+#"}})
			if err != nil {
				t.Fatal(err)
			}
			if !CanPublish("d1", mod, topic) {
				t.Errorf("CanPublish(%q) = false", topic)
			}
		}
	}
}
