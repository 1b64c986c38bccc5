package methodsvc_test

import (
	"strconv"
	"testing"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/methodsvc"
)

func TestRequestTopicParsesAsTheDeviceDoes(t *testing.T) {
	method, rid, err := command.ParseAzureMethodTopic(methodsvc.RequestTopic("sensor.list", "42"))
	if err != nil || method != "sensor.list" || rid != "42" {
		t.Fatalf("ParseAzureMethodTopic = %q %q %v", method, rid, err)
	}
}

func TestParseResponseTopic(t *testing.T) {
	tests := []struct {
		topic  string
		status int
		rid    string
		ok     bool
	}{
		{"$iothub/methods/res/200/?$rid=1", 200, "1", true},
		{"$iothub/methods/res/504/?$rid=abc&x=y", 504, "abc", true},
		{"$iothub/methods/res/204/?x=y&$rid=7", 204, "7", true},
		{"$iothub/methods/res/123456789/?$rid=7", 123456789, "7", true},
		{"$iothub/methods/res/1234567890/?$rid=7", 0, "", false},
		{"$iothub/methods/res/20a/?$rid=7", 0, "", false},
		{"$iothub/methods/res/-1/?$rid=7", 0, "", false},
		{"$iothub/methods/res//?$rid=7", 0, "", false},
		{"$iothub/methods/res/200/?$rid=", 0, "", false},
		{"$iothub/methods/res/200/?rid=1", 0, "", false},
		{"$iothub/methods/res/200", 0, "", false},
		{"$iothub/methods/POST/m/?$rid=1", 0, "", false},
		{"$iothub/twin/res/200/?$rid=1", 0, "", false},
	}
	for _, tt := range tests {
		status, rid, ok := methodsvc.ParseResponseTopic(tt.topic)
		if status != tt.status || rid != tt.rid || ok != tt.ok {
			t.Errorf("ParseResponseTopic(%q) = %d %q %v; want %d %q %v", tt.topic, status, rid, ok, tt.status, tt.rid, tt.ok)
		}
		// The device side's builder produces what the hub side parses.
		if tt.ok && tt.status >= 100 && tt.status <= 599 {
			built, err := command.AzureMethodResponseTopic(tt.status, tt.rid)
			if err != nil {
				t.Fatal(err)
			}
			if s, r, ok := methodsvc.ParseResponseTopic(built); !ok || s != tt.status || r != tt.rid {
				t.Errorf("ParseResponseTopic(%q) = %d %q %v", built, s, r, ok)
			}
		}
	}
}

// An accepted topic yields a status of 1 to 9 digits and a $rid that
// round-trip through the canonical form of the topic.
func FuzzParseResponseTopic(f *testing.F) {
	f.Add("$iothub/methods/res/200/?$rid=1")
	f.Add("$iothub/methods/res/999999999/?a=b&$rid=x")
	f.Add("$iothub/methods/res/2/?$rid=")
	f.Fuzz(func(t *testing.T, topic string) {
		status, rid, ok := methodsvc.ParseResponseTopic(topic)
		if !ok {
			if status != 0 || rid != "" {
				t.Fatalf("rejected with values %d %q", status, rid)
			}
			return
		}
		if status < 0 || status > 999999999 || rid == "" {
			t.Fatalf("accepted status %d rid %q", status, rid)
		}
		s, r, ok := methodsvc.ParseResponseTopic("$iothub/methods/res/" + strconv.Itoa(status) + "/?$rid=" + rid)
		if !ok || s != status || r != rid {
			t.Fatalf("round trip of %q: %d %q %v", topic, s, r, ok)
		}
	})
}
