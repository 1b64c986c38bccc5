package azureiot

import (
	"testing"

	"github.com/tether-iot/tether/transport"
)

// FuzzDialectIncoming checks that any C2D topic the hub delivers converts
// without panicking to a valid canonical topic, and that what C2DTopic
// builds for a valid canonical topic comes back unchanged.
func FuzzDialectIncoming(f *testing.F) {
	f.Add("devices/d/messages/devicebound/%24.mid=1&subtopic=request.x.y&q=a%26b", "request/x", "v")
	f.Add("devices/d/messages/devicebound/subtopic=%24x.y", "c2d", "")
	f.Add("devices/d/messages/devicebound/subtopic=a..b&subtopic=c", "a/b/c", "x=y&z")
	d, err := NewDialect("d", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic, canonical, value string) {
		if m, ok := d.Incoming(transport.Message{Topic: topic}); ok {
			if err := transport.ValidateTopic(m.Topic); err != nil {
				t.Fatalf("Incoming(%q) gave an invalid canonical topic %q: %v", topic, m.Topic, err)
			}
		}
		if transport.ValidateTopic(canonical) != nil || ValidateCanonicalTopic(canonical) != nil {
			return
		}
		props := Properties{Application: map[string]string{"k": value}}
		hub, err := C2DTopic("d", canonical, props)
		if err != nil {
			t.Fatalf("C2DTopic(%q): %v", canonical, err)
		}
		m, ok := d.Incoming(transport.Message{Topic: hub})
		if !ok || m.Topic != canonical || m.Properties.Application["k"] != value {
			t.Fatalf("round trip of %q via %q: %+v, %v", canonical, hub, m, ok)
		}
	})
}
