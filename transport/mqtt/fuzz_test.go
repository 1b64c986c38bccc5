package mqtt_test

import (
	"strings"
	"testing"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// FuzzIncoming checks the translation of topics the broker delivers: a
// topic is canonical exactly when it is the prefix followed by a valid
// canonical topic, and the translation round-trips both ways.
func FuzzIncoming(f *testing.F) {
	for _, s := range []string{"gw-7/request/sensor/list", "gw-7/", "gw-7//x", "gw-77/a", "$SYS/x", "cmd/gw-7/req", "gw-7/\xff"} {
		f.Add(s)
	}
	dialects := []*mqtt.Dialect{
		newDialect(f, mqtt.Config{DeviceID: "gw-7"}),
		newDialect(f, mqtt.Config{DeviceID: "gw-7", TopicPrefix: "cmd/{device}/"}),
	}
	f.Fuzz(func(t *testing.T, topic string) {
		for _, d := range dialects {
			m, ok := d.Incoming(transport.Message{Topic: topic, Payload: []byte("p")})
			rest, hasPrefix := strings.CutPrefix(topic, d.Prefix())
			wantOK := hasPrefix && transport.ValidateTopic(rest) == nil
			if ok != wantOK {
				t.Fatalf("prefix %q: Incoming(%q) ok = %v, want %v", d.Prefix(), topic, ok, wantOK)
			}
			if !ok {
				continue
			}
			if m.Topic != rest || string(m.Payload) != "p" {
				t.Fatalf("Incoming(%q) = %+v", topic, m)
			}
			back, err := d.PublishTopic(transport.Message{Topic: m.Topic})
			if err != nil || back != topic {
				t.Fatalf("PublishTopic(%q) = %q, %v; want %q", m.Topic, back, err, topic)
			}
		}
		// Any valid canonical topic survives the round trip.
		if transport.ValidateTopic(topic) == nil {
			for _, d := range dialects {
				out, err := d.PublishTopic(transport.Message{Topic: topic})
				if err != nil {
					t.Fatalf("PublishTopic(%q): %v", topic, err)
				}
				in, ok := d.Incoming(transport.Message{Topic: out})
				if !ok || in.Topic != topic {
					t.Fatalf("Incoming(PublishTopic(%q)) = %q, %v", topic, in.Topic, ok)
				}
				if len(out) <= mqtt.MaxTopicLength {
					if err := d.CheckPublish(out, nil, 1); err != nil {
						t.Fatalf("CheckPublish(%q): %v", out, err)
					}
				}
			}
		}
	})
}
