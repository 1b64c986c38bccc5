package mqttx

import (
	"strings"
	"testing"
)

func TestPlainTopicName(t *testing.T) {
	tests := []struct {
		topic string
		want  bool
	}{
		{"bench-pub/telemetry", true},
		{"$aws/things/t/shadow/update", true},
		{"a//b", true},
		{"", false},
		{"a/+", false},
		{"a/#", false},
		{"a\x00b", false},
		{"é", false}, // valid, but decided by ValidateTopicName
		{strings.Repeat("a", MaxTopicLength+1), false},
	}
	for _, tt := range tests {
		if got := plainTopicName(tt.topic); got != tt.want {
			t.Errorf("plainTopicName(%.20q) = %v, want %v", tt.topic, got, tt.want)
		}
	}
}

// FuzzPlainTopicName checks that Publish's fast path never accepts what
// ValidateTopicName refuses.
func FuzzPlainTopicName(f *testing.F) {
	f.Add("a/b")
	f.Add("a/+/b")
	f.Add("\xff")
	f.Fuzz(func(t *testing.T, topic string) {
		if plainTopicName(topic) && ValidateTopicName(topic) != nil {
			t.Fatalf("plainTopicName accepts %q, which ValidateTopicName refuses", topic)
		}
	})
}
