package azureiot

import (
	"errors"
	"reflect"
	"testing"
)

func TestD2CTopic(t *testing.T) {
	tests := []struct {
		name           string
		device, module string
		canonical      string
		props          Properties
		want           string
	}{
		{name: "events", device: "d1", canonical: "events", want: "devices/d1/messages/events/"},
		{
			name: "PROTOCOLS.md §3 example", device: "d1", canonical: "response/sensor/12/reading",
			want: "devices/d1/messages/events/subtopic=response.sensor.12.reading",
		},
		{
			name: "events with properties", device: "d1", canonical: "events",
			props: Properties{ContentType: "application/json", ContentEncoding: "utf-8"},
			want:  "devices/d1/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8",
		},
		{
			name: "subtopic then properties", device: "d1", canonical: "a/b",
			props: Properties{MessageID: "m1", Application: map[string]string{"k": "v w"}},
			want:  "devices/d1/messages/events/subtopic=a.b&%24.mid=m1&k=v%20w",
		},
		{name: "single segment", device: "d1", canonical: "status", want: "devices/d1/messages/events/subtopic=status"},
		{
			name: "segment characters are encoded", device: "d1", canonical: "a b/c&d/é",
			want: "devices/d1/messages/events/subtopic=a%20b.c%26d.%C3%A9",
		},
		{name: "module events", device: "d1", module: "m1", canonical: "events", want: "devices/d1/modules/m1/messages/events/"},
		{name: "module subtopic", device: "d1", module: "m1", canonical: "x/y", want: "devices/d1/modules/m1/messages/events/subtopic=x.y"},
		{name: "ids not encoded", device: "a$b", canonical: "events", want: "devices/a$b/messages/events/"},
		{name: "leading $ segment", device: "d", canonical: "$sys/x", want: "devices/d/messages/events/subtopic=%24sys.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := D2CTopic(tt.device, tt.module, tt.canonical, tt.props)
			if err != nil || got != tt.want {
				t.Fatalf("D2CTopic = %q, %v; want %q", got, err, tt.want)
			}
			canonical, props, err := ParseD2CTopic(tt.device, tt.module, got)
			if err != nil {
				t.Fatalf("ParseD2CTopic(%q): %v", got, err)
			}
			if canonical != tt.canonical || !reflect.DeepEqual(props, tt.props) {
				t.Fatalf("ParseD2CTopic = %q, %#v; want %q, %#v", canonical, props, tt.canonical, tt.props)
			}
		})
	}
}

func TestD2CTopicErrors(t *testing.T) {
	tests := []struct {
		name           string
		device, module string
		canonical      string
		props          Properties
		want           error
	}{
		{name: "empty topic", device: "d", canonical: "", want: ErrInvalidTopic},
		{name: "dot in segment", device: "d", canonical: "sensor.list", want: ErrInvalidTopic},
		{name: "dot in later segment", device: "d", canonical: "a/b.c", want: ErrInvalidTopic},
		{name: "empty segment", device: "d", canonical: "a//b", want: ErrInvalidTopic},
		{name: "leading slash", device: "d", canonical: "/a", want: ErrInvalidTopic},
		{name: "trailing slash", device: "d", canonical: "a/", want: ErrInvalidTopic},
		{name: "single-level wildcard", device: "d", canonical: "a/+/b", want: ErrInvalidTopic},
		{name: "multi-level wildcard", device: "d", canonical: "a/#", want: ErrInvalidTopic},
		{name: "wildcard inside segment", device: "d", canonical: "a+b", want: ErrInvalidTopic},
		{name: "NUL", device: "d", canonical: "a\x00b", want: ErrInvalidTopic},
		{name: "invalid UTF-8", device: "d", canonical: "a\xffb", want: ErrInvalidTopic},
		{name: "bad device id", device: "d/1", canonical: "events", want: ErrInvalidID},
		{name: "device id with MQTT wildcard", device: "d#1", canonical: "events", want: ErrInvalidID},
		{name: "module id with MQTT wildcard", device: "d", module: "m+1", canonical: "events", want: ErrInvalidID},
		{
			name: "subtopic application property is reserved", device: "d", canonical: "events",
			props: Properties{Application: map[string]string{"subtopic": "x"}}, want: ErrInvalidPropertyBag,
		},
		{
			name: "bad properties", device: "d", canonical: "a",
			props: Properties{Application: map[string]string{"iothub-x": "1"}}, want: ErrInvalidPropertyBag,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := D2CTopic(tt.device, tt.module, tt.canonical, tt.props)
			if !errors.Is(err, tt.want) {
				t.Fatalf("D2CTopic = %q, %v; want %v", got, err, tt.want)
			}
			if tt.want == ErrInvalidTopic {
				var te *TopicError
				if !errors.As(err, &te) || te.Topic != tt.canonical {
					t.Fatalf("error %v is not a *TopicError for %q", err, tt.canonical)
				}
				if ValidateCanonicalTopic(tt.canonical) == nil {
					t.Fatalf("ValidateCanonicalTopic(%q) = nil", tt.canonical)
				}
			}
		})
	}
}

func TestParseD2CTopicErrors(t *testing.T) {
	tests := []struct {
		name, device, module, topic string
	}{
		{"other device", "d1", "", "devices/d2/messages/events/"},
		{"module topic for device", "d1", "", "devices/d1/modules/m1/messages/events/"},
		{"device topic for module", "d1", "m1", "devices/d1/messages/events/"},
		{"C2D topic", "d1", "", "devices/d1/messages/devicebound/"},
		{"no trailing slash", "d1", "", "devices/d1/messages/events"},
		{"malformed bag", "d1", "", "devices/d1/messages/events/a=%zz"},
		{"two subtopics", "d1", "", "devices/d1/messages/events/subtopic=a&subtopic=b"},
		{"subtopic with empty segment", "d1", "", "devices/d1/messages/events/subtopic=a..b"},
		{"null subtopic", "d1", "", "devices/d1/messages/events/subtopic"},
		{"empty subtopic", "d1", "", "devices/d1/messages/events/subtopic="},
		{"subtopic with slash", "d1", "", "devices/d1/messages/events/subtopic=a%2Fb"},
		{"subtopic with wildcard", "d1", "", "devices/d1/messages/events/subtopic=a.%23"},
		{"duplicate property", "d1", "", "devices/d1/messages/events/a=1&a=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, err := ParseD2CTopic(tt.device, tt.module, tt.topic)
			var te *TopicError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("ParseD2CTopic = %q, %#v, %v; want *TopicError", c, p, err)
			}
			if te.Topic != tt.topic {
				t.Errorf("TopicError.Topic = %q, want %q", te.Topic, tt.topic)
			}
		})
	}
}

func TestParseC2DTopic(t *testing.T) {
	tests := []struct {
		name          string
		topic         string
		wantCanonical string
		wantProps     Properties
	}{
		{
			name:          "PROTOCOLS.md §3 request",
			topic:         "devices/d1/messages/devicebound/subtopic=request.sensor.list",
			wantCanonical: "request/sensor/list",
		},
		{
			name:          "subtopic among hub properties",
			topic:         "devices/d1/messages/devicebound/%24.mid=abc&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&subtopic=request.x.y&iothub-ack=full",
			wantCanonical: "request/x/y",
			wantProps: Properties{
				MessageID: "abc", To: "/devices/d1/messages/deviceBound",
				System: map[string]string{"iothub-ack": "full"},
			},
		},
		{
			name:          "no subtopic",
			topic:         "devices/d1/messages/devicebound/%24.mid=abc&color=red",
			wantCanonical: CanonicalC2DTopic,
			wantProps:     Properties{MessageID: "abc", Application: map[string]string{"color": "red"}},
		},
		{name: "empty bag", topic: "devices/d1/messages/devicebound/", wantCanonical: "c2d"},
		{name: "no trailing slash", topic: "devices/d1/messages/devicebound", wantCanonical: "c2d"},
		{
			// Regression: decoding the whole topic first would split q and
			// turn the encoded '.' into a separator of a bogus subtopic.
			name:          "decode-whole-topic bug",
			topic:         "devices/d1/messages/devicebound/q=a%26subtopic%3Devil&subtopic=request.a%20b&v=x%3Dy%3Bz",
			wantCanonical: "request/a b",
			wantProps:     Properties{Application: map[string]string{"q": "a&subtopic=evil", "v": "x=y;z"}},
		},
		{
			name:          "encoded dot in subtopic separates",
			topic:         "devices/d1/messages/devicebound/subtopic=request%2Eping",
			wantCanonical: "request/ping",
		},
		{
			name:          "null application property",
			topic:         "devices/d1/messages/devicebound/flag&subtopic=cmd",
			wantCanonical: "cmd",
			wantProps:     Properties{Application: map[string]string{"flag": ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canonical, props, err := ParseC2DTopic("d1", tt.topic)
			if err != nil {
				t.Fatalf("ParseC2DTopic: %v", err)
			}
			if canonical != tt.wantCanonical || !reflect.DeepEqual(props, tt.wantProps) {
				t.Fatalf("ParseC2DTopic = %q, %#v; want %q, %#v", canonical, props, tt.wantCanonical, tt.wantProps)
			}
		})
	}
}

func TestParseC2DTopicErrors(t *testing.T) {
	tests := []struct {
		name, topic string
		wantBag     bool // the error also matches ErrInvalidPropertyBag
	}{
		{name: "other device", topic: "devices/d2/messages/devicebound/"},
		{name: "device prefix only", topic: "devices/d1"},
		{name: "events topic", topic: "devices/d1/messages/events/"},
		{name: "twin topic", topic: "$iothub/twin/res/200/?$rid=1"},
		{name: "malformed escape", topic: "devices/d1/messages/devicebound/a=%2", wantBag: true},
		{name: "empty name", topic: "devices/d1/messages/devicebound/=x", wantBag: true},
		{name: "subtopic with dot only", topic: "devices/d1/messages/devicebound/subtopic=."},
		{name: "subtopic with NUL", topic: "devices/d1/messages/devicebound/subtopic=a%00"},
		{name: "duplicate system property", topic: "devices/d1/messages/devicebound/%24.mid=1&$.mid=2", wantBag: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, err := ParseC2DTopic("d1", tt.topic)
			var te *TopicError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("ParseC2DTopic = %q, %#v, %v; want *TopicError", c, p, err)
			}
			if got := errors.Is(err, ErrInvalidPropertyBag); got != tt.wantBag {
				t.Errorf("errors.Is(err, ErrInvalidPropertyBag) = %v, want %v", got, tt.wantBag)
			}
		})
	}
	if _, _, err := ParseC2DTopic("d 1", "devices/d 1/messages/devicebound/"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("invalid device id: %v, want ErrInvalidID", err)
	}
}

func TestC2DTopic(t *testing.T) {
	tests := []struct {
		canonical string
		props     Properties
		want      string
	}{
		{"c2d", Properties{}, "devices/d1/messages/devicebound/"},
		{"c2d", Properties{MessageID: "m"}, "devices/d1/messages/devicebound/%24.mid=m"},
		{"request/sensor/list", Properties{}, "devices/d1/messages/devicebound/subtopic=request.sensor.list"},
		{"request/x", Properties{To: "/devices/d1/messages/deviceBound"}, "devices/d1/messages/devicebound/subtopic=request.x&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound"},
		{"events", Properties{}, "devices/d1/messages/devicebound/subtopic=events"},
	}
	for _, tt := range tests {
		got, err := C2DTopic("d1", tt.canonical, tt.props)
		if err != nil || got != tt.want {
			t.Errorf("C2DTopic(%q) = %q, %v; want %q", tt.canonical, got, err, tt.want)
			continue
		}
		c, p, err := ParseC2DTopic("d1", got)
		if err != nil || c != tt.canonical || !reflect.DeepEqual(p, tt.props) {
			t.Errorf("ParseC2DTopic(%q) = %q, %#v, %v; want %q, %#v", got, c, p, err, tt.canonical, tt.props)
		}
	}
	if _, err := C2DTopic("d1", "a.b", Properties{}); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("C2DTopic with dotted canonical topic: %v, want ErrInvalidTopic", err)
	}
}
