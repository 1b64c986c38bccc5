package azureiot

import (
	"strings"
	"testing"
)

// TestD2CTopicAllocs holds D2CTopic to one allocation, the topic itself,
// when the properties have no maps: it runs on every publish.
func TestD2CTopicAllocs(t *testing.T) {
	tests := []struct {
		name      string
		module    string
		canonical string
		props     Properties
	}{
		{name: "subtopic", canonical: "response/sensor/12/reading"},
		{name: "events", canonical: CanonicalEventsTopic},
		{name: "module subtopic", module: "m1", canonical: "response/sensor/12/reading"},
		{name: "subtopic and system properties", canonical: "response/sensor/12/reading",
			props: Properties{ContentType: "application/json", ContentEncoding: "utf-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			allocs := testing.AllocsPerRun(100, func() {
				_, err = D2CTopic("gateway-7", tt.module, tt.canonical, tt.props)
			})
			if err != nil {
				t.Fatal(err)
			}
			if allocs > 1 {
				t.Fatalf("D2CTopic: %v allocations per call, want at most 1", allocs)
			}
		})
	}
}

// TestD2CTopicIsPrefixAndEncodedBag checks the single-pass encoder against
// its definition: the prefix, then the subtopic property, then Bag encoded.
// CheckD2CSize's count without a bag is checked against the same bag.
func TestD2CTopicIsPrefixAndEncodedBag(t *testing.T) {
	tests := []struct {
		canonical string
		props     Properties
	}{
		{canonical: "a b/c&d/é"},
		{canonical: "events", props: Properties{MessageID: "m 1", To: "/x", OutputName: "o"}},
		{canonical: "x/y", props: Properties{
			CorrelationID: "c", ExpiryTime: "2024-01-01T00:00:00Z",
			System:      map[string]string{"iothub-ack": "full", "$.z": "", "$.a": "%"},
			Application: map[string]string{"b": "2", "a": "1=&;", "é": ""},
		}},
	}
	for _, tt := range tests {
		got, err := D2CTopic("d1", "", tt.canonical, tt.props)
		if err != nil {
			t.Fatalf("D2CTopic(%q): %v", tt.canonical, err)
		}
		rest, err := tt.props.Bag()
		if err != nil {
			t.Fatal(err)
		}
		var bag PropertyBag
		if tt.canonical != CanonicalEventsTopic {
			bag = append(bag, Property{Name: SubtopicProperty, Value: strings.ReplaceAll(tt.canonical, "/", ".")})
		}
		bag = append(bag, rest...)
		enc, err := bag.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := "devices/d1/messages/events/" + enc; got != want {
			t.Errorf("D2CTopic(%q) = %q, want %q", tt.canonical, got, want)
		}
		body := make([]byte, MaxD2CMessageSize-bag.Size())
		if err := CheckD2CSize(tt.canonical, body, tt.props); err != nil {
			t.Errorf("CheckD2CSize at the limit: %v", err)
		}
		if err := CheckD2CSize(tt.canonical, append(body, 0), tt.props); err == nil {
			t.Errorf("CheckD2CSize one byte over the limit: no error")
		}
	}
}
