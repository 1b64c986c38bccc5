package awsiottest

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		filter, topic string
		mqtt, aws     bool
	}{
		{"a/b", "a/b", true, true},
		{"a/b", "a/c", false, false},
		{"a/#", "a/b/c", true, true},
		{"a/#", "a", true, false}, // the parent level: MQTT yes, AWS no
		{"a/#", "a/", true, true},
		{"a/+/#", "a/x", true, false},
		{"a/+/#", "a/x/y", true, true},
		{"#", "a", true, true},
		{"#", "$aws/things/t/shadow/get", false, false},
		{"+/x", "$aws/x", false, false},
		{"$aws/things/+/shadow/#", "$aws/things/t/shadow/get/accepted", true, true},
		{"a/+", "a/b/c", false, false},
		{"a/+", "a", false, false},
		{"+", "", true, true},
		{"thing1/request/#", "thing1/request", true, false},
		{"thing1/request/#", "thing1/request/sensor/list", true, true},
	}
	for _, tt := range tests {
		if got := mqttMatch(tt.filter, tt.topic); got != tt.mqtt {
			t.Errorf("mqttMatch(%q, %q) = %v", tt.filter, tt.topic, got)
		}
		if got := awsMatch(tt.filter, tt.topic); got != tt.aws {
			t.Errorf("awsMatch(%q, %q) = %v", tt.filter, tt.topic, got)
		}
	}
}

func TestHasWildcard(t *testing.T) {
	for f, want := range map[string]bool{"a/b": false, "a/+": true, "#": true, "a/#": true} {
		if hasWildcard(f) != want {
			t.Errorf("hasWildcard(%q) != %v", f, want)
		}
	}
}
