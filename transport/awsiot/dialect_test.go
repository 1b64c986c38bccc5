package awsiot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
)

func newDialect(t *testing.T, cfg awsiot.Config) *awsiot.Dialect {
	t.Helper()
	d, err := awsiot.NewDialect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDialectTopics(t *testing.T) {
	d := newDialect(t, awsiot.Config{ThingName: "thing1"})
	topic, err := d.PublishTopic(transport.Message{Topic: "response/sensor/12/reading"})
	if err != nil || topic != "thing1/response/sensor/12/reading" {
		t.Fatalf("PublishTopic = %q, %v", topic, err)
	}
	if f, _ := d.SubscribeFilter("request/#"); f != "thing1/request/#" {
		t.Fatalf("SubscribeFilter = %q", f)
	}
	tests := []struct {
		topic, canonical string
		ok               bool
	}{
		{"thing1/request/sensor/list", "request/sensor/list", true},
		{"thing2/request/sensor/list", "", false},
		{"$aws/things/thing1/shadow/get/accepted", "", false},
		{"thing1/", "", false},
	}
	for _, tt := range tests {
		m, ok := d.Incoming(transport.Message{Topic: tt.topic, Payload: []byte("p"), QoS: 1, Duplicate: true})
		if ok != tt.ok || m.Topic != tt.canonical || ok && (string(m.Payload) != "p" || m.QoS != 1 || !m.Duplicate) {
			t.Errorf("Incoming(%q) = %+v, %v", tt.topic, m, ok)
		}
	}

	cmd := newDialect(t, awsiot.Config{ThingName: "thing1", TopicPrefix: "cmd/{thing}/"})
	if topic, _ := cmd.PublishTopic(transport.Message{Topic: "resp"}); topic != "cmd/thing1/resp" {
		t.Fatalf("command scheme: %q", topic)
	}
	if info := cmd.Info(); info != (transport.Info{Cloud: transport.CloudAWS, DeviceID: "thing1", ClientID: "thing1"}) {
		t.Fatalf("Info = %+v", info)
	}
}

func TestDialectProperties(t *testing.T) {
	msg := transport.Message{Topic: "events", Properties: transport.Properties{CorrelationID: "42"}}
	_, err := newDialect(t, awsiot.Config{ThingName: "thing1"}).PublishTopic(msg)
	if !errors.Is(err, transport.ErrPropertiesNotSupported) {
		t.Fatalf("PropertiesReject: err = %v", err)
	}
	topic, err := newDialect(t, awsiot.Config{ThingName: "thing1", Properties: awsiot.PropertiesIgnore}).PublishTopic(msg)
	if err != nil || topic != "thing1/events" {
		t.Fatalf("PropertiesIgnore: %q, %v", topic, err)
	}
}

func TestDialectLimits(t *testing.T) {
	d := newDialect(t, awsiot.Config{ThingName: "thing1"})
	want := transport.Limits{MaxSubscriptions: 50, PublishRate: 100, ByteRate: 512 * 1024, MaxPayload: 128 * 1024}
	if got := d.Limits(); got != want {
		t.Fatalf("Limits = %+v", got)
	}
	custom := newDialect(t, awsiot.Config{ThingName: "thing1", PublishRate: 5, ByteRate: 1000}).Limits()
	if custom.PublishRate != 5 || custom.ByteRate != 1000 {
		t.Fatalf("configured rates: %+v", custom)
	}
	off := newDialect(t, awsiot.Config{ThingName: "thing1", PublishRate: -1, ByteRate: -1}).Limits()
	if off.PublishRate != 0 || off.ByteRate != 0 {
		t.Fatalf("disabled rates: %+v", off)
	}
}

func TestDialectChecks(t *testing.T) {
	d := newDialect(t, awsiot.Config{ThingName: "thing1"})
	tests := []struct {
		name    string
		err     error
		aws     error
		shared  error
		wantMax int
	}{
		{"payload", d.CheckPublish("thing1/events", make([]byte, awsiot.MaxPayloadSize+1), 1), awsiot.ErrPayloadTooLarge, transport.ErrPayloadTooLarge, awsiot.MaxPayloadSize},
		{"QoS 2", d.CheckPublish("thing1/events", nil, 2), awsiot.ErrQoSNotSupported, transport.ErrQoSNotSupported, 1},
		{"long topic", d.CheckPublish("thing1/"+strings.Repeat("x", 250), nil, 0), awsiot.ErrTopicTooLong, transport.ErrTopicTooLong, 256},
		{"deep topic", d.CheckPublish("a/b/c/d/e/f/g/h/i", nil, 0), awsiot.ErrTooManySlashes, transport.ErrTopicTooLong, 7},
		{"wildcard topic", d.CheckPublish("thing1/+", nil, 0), awsiot.ErrInvalidTopic, transport.ErrInvalidTopic, 0},
		{"deep filter", d.CheckSubscribe("a/b/c/d/e/f/g/h/#", 1), awsiot.ErrTooManySlashes, transport.ErrTopicTooLong, 7},
		{"filter QoS 2", d.CheckSubscribe("thing1/request/#", 2), awsiot.ErrQoSNotSupported, transport.ErrQoSNotSupported, 1},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.aws) || !errors.Is(tt.err, tt.shared) {
			t.Errorf("%s: err = %v, want %v and %v", tt.name, tt.err, tt.aws, tt.shared)
			continue
		}
		if tt.wantMax == 0 {
			continue
		}
		var le *transport.LimitError
		if !errors.As(tt.err, &le) || le.Cloud != transport.CloudAWS || le.Max != tt.wantMax {
			t.Errorf("%s: as *transport.LimitError: %+v", tt.name, le)
		}
		var ae *awsiot.LimitError
		if !errors.As(tt.err, &ae) || ae.Max != tt.wantMax {
			t.Errorf("%s: as *awsiot.LimitError: %+v", tt.name, ae)
		}
	}
	if err := d.CheckPublish("thing1/events", make([]byte, awsiot.MaxPayloadSize), 1); err != nil {
		t.Errorf("payload at the limit: %v", err)
	}
	if err := d.CheckPublish("$aws/things/thing1/shadow/update", []byte("{}"), 1); err != nil {
		t.Errorf("shadow topic: %v", err)
	}
	if err := d.CheckSubscribe("$aws/things/thing1/shadow/update/delta", 1); err != nil {
		t.Errorf("shadow filter: %v", err)
	}
}

func TestSentinelsRefineSharedErrors(t *testing.T) {
	tests := []struct{ aws, shared error }{
		{awsiot.ErrPayloadTooLarge, transport.ErrPayloadTooLarge},
		{awsiot.ErrTopicTooLong, transport.ErrTopicTooLong},
		{awsiot.ErrTooManySlashes, transport.ErrTopicTooLong},
		{awsiot.ErrInvalidTopic, transport.ErrInvalidTopic},
		{awsiot.ErrQoSNotSupported, transport.ErrQoSNotSupported},
		{awsiot.ErrTooManySubscriptions, transport.ErrTooManySubscriptions},
		{awsiot.ErrInvalidClientID, transport.ErrInvalidConfig},
		{awsiot.ErrInvalidThingName, transport.ErrInvalidConfig},
		{awsiot.ErrKeepAliveOutOfRange, transport.ErrInvalidConfig},
	}
	for _, tt := range tests {
		if !errors.Is(tt.aws, tt.shared) {
			t.Errorf("%v does not match %v", tt.aws, tt.shared)
		}
		if strings.Contains(tt.aws.Error(), "transport:") {
			t.Errorf("%q repeats the shared message", tt.aws.Error())
		}
	}
	if errors.Is(awsiot.ErrTooManyFilters, transport.ErrTooManySubscriptions) {
		t.Errorf("ErrTooManyFilters is a packet limit, not the subscription count")
	}
}
