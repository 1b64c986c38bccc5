package transport

import (
	"errors"
	"testing"

	"github.com/tether-iot/tether/mqttx"
)

// countingDialect translates by prefixing the device name and counts the
// translations.
type countingDialect struct {
	translations int
	maxPayload   int
}

func (d *countingDialect) Info() Info { return Info{} }
func (d *countingDialect) PublishTopic(msg Message) (string, error) {
	d.translations++
	return "dev/" + msg.Topic, nil
}
func (d *countingDialect) SubscribeFilter(f string) (string, error) { return "dev/" + f, nil }
func (d *countingDialect) Incoming(msg Message) (Message, bool)     { return msg, true }
func (d *countingDialect) CheckPublish(_ string, payload []byte, _ byte) error {
	if len(payload) > d.maxPayload {
		return ErrPayloadTooLarge
	}
	return nil
}
func (d *countingDialect) CheckSubscribe(string, byte) error { return nil }
func (d *countingDialect) Limits() Limits                    { return Limits{} }

// A device sending on the same few topics has each translated once; a
// message with properties is translated every time (its cloud topic may
// depend on them), and the cloud's checks run on every message.
func TestPrepareTranslatesEachTopicOnce(t *testing.T) {
	d := &countingDialect{maxPayload: 8}
	c, err := NewConn(Options{Dialect: d, MQTT: mqttx.Options{Server: "tcp://127.0.0.1:1", ClientID: "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, topic := range []string{"a", "b", "c"} {
			got, err := c.prepare(Message{Topic: topic, Payload: []byte("x")})
			if err != nil || got != "dev/"+topic {
				t.Fatalf("prepare(%q) = %q, %v; want dev/%s", topic, got, err, topic)
			}
		}
	}
	if d.translations != 3 {
		t.Fatalf("%d translations for 9 messages on 3 topics, want 3", d.translations)
	}
	if _, err := c.prepare(Message{Topic: "a", Payload: []byte("too large!")}); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("prepare of an oversize payload on a known topic = %v, want ErrPayloadTooLarge", err)
	}
	if _, err := c.prepare(Message{Topic: "bad/+"}); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("prepare of an invalid topic = %v, want ErrInvalidTopic", err)
	}
	withProps := Message{Topic: "a", Properties: Properties{ContentType: "application/json"}}
	for range 2 {
		if _, err := c.prepare(withProps); err != nil {
			t.Fatal(err)
		}
	}
	if d.translations != 5 {
		t.Fatalf("%d translations after 2 messages with properties, want 5", d.translations)
	}
}

// The cache keeps the last topicCacheSize topics: a device cycling through
// more is translated each time, and still gets the right topics.
func TestTopicCacheReplacesOldest(t *testing.T) {
	var tc topicCache
	for i := range topicCacheSize + 1 {
		tc.put(string(rune('a'+i)), "cloud/"+string(rune('a'+i)))
	}
	if _, ok := tc.get("a"); ok {
		t.Fatal("the oldest topic is still cached")
	}
	for i := 1; i <= topicCacheSize; i++ {
		k := string(rune('a' + i))
		if got, ok := tc.get(k); !ok || got != "cloud/"+k {
			t.Fatalf("get(%q) = %q, %v", k, got, ok)
		}
	}
}
