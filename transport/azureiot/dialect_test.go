package azureiot

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tether-iot/tether/transport"
)

func mustDialect(t *testing.T, device, module string) *Dialect {
	t.Helper()
	d, err := NewDialect(device, module)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewDialectInvalidID(t *testing.T) {
	for _, ids := range [][2]string{{"", ""}, {"a b", ""}, {"a#b", ""}, {"d", "m+1"}} {
		if _, err := NewDialect(ids[0], ids[1]); !errors.Is(err, ErrInvalidID) {
			t.Errorf("NewDialect(%q, %q) = %v, want ErrInvalidID", ids[0], ids[1], err)
		}
	}
}

func TestDialectInfo(t *testing.T) {
	tests := []struct {
		device, module string
		want           transport.Info
	}{
		{"dev1", "", transport.Info{Cloud: transport.CloudAzure, DeviceID: "dev1", ClientID: "dev1"}},
		{"dev1", "mod1", transport.Info{Cloud: transport.CloudAzure, DeviceID: "dev1", ModuleID: "mod1", ClientID: "dev1/mod1"}},
	}
	for _, tt := range tests {
		if got := mustDialect(t, tt.device, tt.module).Info(); got != tt.want {
			t.Errorf("Info() = %+v, want %+v", got, tt.want)
		}
	}
}

func TestDialectPublishTopic(t *testing.T) {
	tests := []struct {
		module string
		msg    transport.Message
		want   string
	}{
		{"", transport.Message{Topic: "events"}, "devices/d/messages/events/"},
		{"", transport.Message{Topic: "response/sensor/12/reading"},
			"devices/d/messages/events/subtopic=response.sensor.12.reading"},
		{"", transport.Message{Topic: "events", Properties: transport.Properties{
			MessageID: "m1", CorrelationID: "c1", UserID: "u", ContentType: "application/json", ContentEncoding: "utf-8",
			Application: map[string]string{"a&b": "x=y z", "k": ""},
			System:      map[string]string{"$.ctime": "2024-01-01T00:00:00Z", "iothub-x": "1"},
		}}, "devices/d/messages/events/%24.mid=m1&%24.cid=c1&%24.uid=u&%24.ct=application%2Fjson&%24.ce=utf-8&%24.ctime=2024-01-01T00%3A00%3A00Z&iothub-x=1&a%26b=x%3Dy%20z&k="},
		{"m", transport.Message{Topic: "a/b", Properties: transport.Properties{ContentType: "text/plain"}},
			"devices/d/modules/m/messages/events/subtopic=a.b&%24.ct=text%2Fplain"},
	}
	for _, tt := range tests {
		got, err := mustDialect(t, "d", tt.module).PublishTopic(tt.msg)
		if err != nil || got != tt.want {
			t.Errorf("PublishTopic(%+v) = %q, %v; want %q", tt.msg, got, err, tt.want)
		}
	}
}

func TestDialectPublishTopicErrors(t *testing.T) {
	d := mustDialect(t, "d", "")
	tests := []struct {
		name string
		msg  transport.Message
		is   error
	}{
		{"dot in segment", transport.Message{Topic: "a.b/c"}, transport.ErrInvalidTopic},
		{"reserved subtopic property", transport.Message{Topic: "events",
			Properties: transport.Properties{Application: map[string]string{"subtopic": "x"}}}, ErrInvalidPropertyBag},
		{"system name without prefix", transport.Message{Topic: "events",
			Properties: transport.Properties{System: map[string]string{"ctime": "x"}}}, ErrInvalidPropertyBag},
		{"message id too long", transport.Message{Topic: "events",
			Properties: transport.Properties{MessageID: strings.Repeat("x", MaxMessageIDLength+1)}}, ErrInvalidPropertyBag},
	}
	for _, tt := range tests {
		if _, err := d.PublishTopic(tt.msg); !errors.Is(err, tt.is) {
			t.Errorf("%s: PublishTopic error %v, want %v", tt.name, err, tt.is)
		}
	}
}

func TestDialectSubscribeFilter(t *testing.T) {
	d := mustDialect(t, "d", "")
	for _, f := range []string{"request/#", "request/x/#", "c2d", "#", "+/list", "events"} {
		got, err := d.SubscribeFilter(f)
		if err != nil || got != "devices/d/messages/devicebound/#" {
			t.Errorf("SubscribeFilter(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := d.SubscribeFilter("a.b/#"); !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("SubscribeFilter(a.b/#) error %v, want ErrInvalidTopic", err)
	}
	_, err := mustDialect(t, "d", "m").SubscribeFilter("request/#")
	if !errors.Is(err, transport.ErrTopicNotAllowed) || !errors.Is(err, ErrTopicNotAllowed) {
		t.Errorf("module SubscribeFilter error %v, want ErrTopicNotAllowed", err)
	}
}

func TestDialectIncoming(t *testing.T) {
	d := mustDialect(t, "d", "")
	tests := []struct {
		topic string
		want  transport.Message
		ok    bool
	}{
		{"devices/d/messages/devicebound/%24.mid=1&%24.to=%2Fdevices%2Fd%2Fmessages%2Fdevicebound&subtopic=request.x.y&q=a%26b%3Dc%20d&iothub-ack=full",
			transport.Message{Topic: "request/x/y", Payload: []byte("p"), QoS: 1, Duplicate: true, Properties: transport.Properties{
				MessageID:   "1",
				System:      map[string]string{"$.to": "/devices/d/messages/devicebound", "iothub-ack": "full"},
				Application: map[string]string{"q": "a&b=c d"},
			}}, true},
		{"devices/d/messages/devicebound/", transport.Message{Topic: "c2d", Payload: []byte("p"), QoS: 1, Duplicate: true}, true},
		{"devices/d/messages/devicebound", transport.Message{Topic: "c2d", Payload: []byte("p"), QoS: 1, Duplicate: true}, true},
		{"devices/other/messages/devicebound/", transport.Message{}, false},
		{"devices/d/messages/devicebound/%zz", transport.Message{}, false},
		{"$iothub/twin/res/200/?$rid=1", transport.Message{}, false},
	}
	for _, tt := range tests {
		got, ok := d.Incoming(transport.Message{Topic: tt.topic, Payload: []byte("p"), QoS: 1, Duplicate: true})
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Incoming(%q) = %+v, %v; want %+v, %v", tt.topic, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := mustDialect(t, "d", "m").Incoming(transport.Message{Topic: "devices/d/messages/devicebound/"}); ok {
		t.Error("a module accepted a C2D message")
	}
}

func TestDialectCheckPublish(t *testing.T) {
	device, module := mustDialect(t, "d", ""), mustDialect(t, "d", "m")
	big := make([]byte, MaxD2CMessageSize)
	tests := []struct {
		name    string
		d       *Dialect
		topic   string
		payload []byte
		qos     byte
		is      error // nil: allowed
	}{
		{"events", device, "devices/d/messages/events/", []byte("x"), 1, nil},
		{"events QoS 0", device, "devices/d/messages/events/a=b", nil, 0, nil},
		{"largest message", device, "devices/d/messages/events/", big, 1, nil},
		{"largest message with properties", device, "devices/d/messages/events/ab=cd", big[:MaxD2CMessageSize-4], 1, nil},
		{"properties count", device, "devices/d/messages/events/ab=cd", big[:MaxD2CMessageSize-3], 1, transport.ErrPayloadTooLarge},
		{"too large", device, "devices/d/messages/events/", append(big, 0), 0, transport.ErrPayloadTooLarge},
		{"QoS 2", device, "devices/d/messages/events/", nil, 2, transport.ErrQoSNotSupported},
		{"twin get", device, "$iothub/twin/GET/?$rid=1", nil, 0, nil},
		{"reported patch", device, "$iothub/twin/PATCH/properties/reported/?$rid=2", []byte("{}"), 1, nil},
		{"method response", device, "$iothub/methods/res/200/?$rid=3", []byte("{}"), 0, nil},
		{"malformed property bag", device, "devices/d/messages/events/a=%zz", nil, 1, transport.ErrTopicNotAllowed},
		{"wildcard in property bag", device, "devices/d/messages/events/a=+", nil, 1, transport.ErrTopicNotAllowed},
		{"NUL in property bag", device, "devices/d/messages/events/a=\x00", nil, 1, transport.ErrTopicNotAllowed},
		{"other device", device, "devices/e/messages/events/", nil, 1, transport.ErrTopicNotAllowed},
		{"arbitrary topic", device, "d/events", nil, 1, transport.ErrTopicNotAllowed},
		{"C2D topic", device, "devices/d/messages/devicebound/", nil, 1, transport.ErrTopicNotAllowed},
		{"twin get without rid", device, "$iothub/twin/GET/", nil, 0, transport.ErrTopicNotAllowed},
		{"module events", module, "devices/d/modules/m/messages/events/", nil, 1, nil},
		{"module using device topic", module, "devices/d/messages/events/", nil, 1, transport.ErrTopicNotAllowed},
	}
	for _, tt := range tests {
		err := tt.d.CheckPublish(tt.topic, tt.payload, tt.qos)
		switch {
		case tt.is == nil && err != nil:
			t.Errorf("%s: CheckPublish = %v, want nil", tt.name, err)
		case tt.is != nil && !errors.Is(err, tt.is):
			t.Errorf("%s: CheckPublish = %v, want %v", tt.name, err, tt.is)
		case tt.is != nil:
			var le *transport.LimitError
			if !errors.As(err, &le) || le.Cloud != transport.CloudAzure {
				t.Errorf("%s: CheckPublish = %v (%T), want a *transport.LimitError for azure", tt.name, err, err)
			}
		}
	}
}

func TestDialectCheckSubscribe(t *testing.T) {
	device, module := mustDialect(t, "d", ""), mustDialect(t, "d", "m")
	tests := []struct {
		d      *Dialect
		filter string
		qos    byte
		is     error
	}{
		{device, "devices/d/messages/devicebound/#", 1, nil},
		{device, TwinResponseFilter, 0, nil},
		{device, TwinDesiredFilter, 1, nil},
		{device, MethodRequestFilter, 0, nil},
		{device, "devices/d/messages/devicebound/#", 2, transport.ErrQoSNotSupported},
		{device, "devices/+/messages/devicebound/#", 1, transport.ErrTopicNotAllowed},
		{device, "#", 1, transport.ErrTopicNotAllowed},
		{device, "$iothub/#", 1, transport.ErrTopicNotAllowed},
		{module, MethodRequestFilter, 1, nil},
		{module, "devices/d/messages/devicebound/#", 1, transport.ErrTopicNotAllowed},
	}
	for _, tt := range tests {
		err := tt.d.CheckSubscribe(tt.filter, tt.qos)
		if (tt.is == nil) != (err == nil) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("CheckSubscribe(%q, %d) = %v, want %v", tt.filter, tt.qos, err, tt.is)
		}
	}
}

func TestDialectLimits(t *testing.T) {
	want := transport.Limits{MaxSubscriptions: 5, MaxPayload: 256 * 1024}
	if got := mustDialect(t, "d", "").Limits(); got != want {
		t.Errorf("Limits() = %+v, want %+v", got, want)
	}
}

func TestSentinelsWrapTransport(t *testing.T) {
	tests := []struct{ err, target error }{
		{ErrPayloadTooLarge, transport.ErrPayloadTooLarge},
		{ErrInvalidTopic, transport.ErrInvalidTopic},
		{ErrTopicNotAllowed, transport.ErrTopicNotAllowed},
		{ErrQoSNotSupported, transport.ErrQoSNotSupported},
		{&MessageSizeError{Size: 2, Limit: 1}, transport.ErrPayloadTooLarge},
		{&MessageSizeError{Size: 2, Limit: 1}, ErrPayloadTooLarge},
		{&TopicError{Topic: "t", Reason: "r"}, transport.ErrInvalidTopic},
		{&TopicError{Topic: "t", Reason: "r"}, ErrInvalidTopic},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.target) {
			t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.target)
		}
	}
	for _, err := range []error{ErrPayloadTooLarge, ErrInvalidTopic, ErrTopicNotAllowed, ErrQoSNotSupported} {
		if !strings.HasPrefix(err.Error(), "azureiot: ") {
			t.Errorf("%q lacks the package prefix", err)
		}
	}
}

func TestPropertiesConversionRoundTrip(t *testing.T) {
	tp := transport.Properties{
		MessageID: "m", CorrelationID: "c", UserID: "u", ContentType: "ct", ContentEncoding: "ce",
		Application: map[string]string{"a": "1", "b": ""},
		System: map[string]string{"$.ctime": "t1", "$.exp": "t2", "$.to": "/x", "$.on": "out",
			"$.cdid": "d", "$.cmid": "m", "iothub-ack": "full", "$.other": "o"},
	}
	ap := FromTransportProperties(tp)
	want := Properties{MessageID: "m", CorrelationID: "c", UserID: "u", ContentType: "ct", ContentEncoding: "ce",
		CreationTime: "t1", ExpiryTime: "t2", To: "/x", OutputName: "out", ConnectionDeviceID: "d", ConnectionModuleID: "m",
		System:      map[string]string{"iothub-ack": "full", "$.other": "o"},
		Application: map[string]string{"a": "1", "b": ""}}
	if !reflect.DeepEqual(ap, want) {
		t.Fatalf("FromTransportProperties = %+v, want %+v", ap, want)
	}
	if back := ToTransportProperties(ap); !reflect.DeepEqual(back, tp) {
		t.Errorf("ToTransportProperties = %+v, want %+v", back, tp)
	}
	if got := ToTransportProperties(Properties{}); !got.IsZero() {
		t.Errorf("ToTransportProperties(zero) = %+v", got)
	}
	// The result does not share maps with its input.
	ap.Application["a"] = "changed"
	if tp.Application["a"] != "1" {
		t.Error("FromTransportProperties shares the Application map")
	}
}
