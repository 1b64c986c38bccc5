package mqtt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

func newDialect(t testing.TB, cfg mqtt.Config) *mqtt.Dialect {
	t.Helper()
	d, err := mqtt.NewDialect(cfg)
	if err != nil {
		t.Fatalf("NewDialect: %v", err)
	}
	return d
}

func TestDialectTopics(t *testing.T) {
	for _, tc := range []struct {
		prefix    string // Config.TopicPrefix
		canonical string
		broker    string
	}{
		{"", "events", "gw-7/events"},
		{"", "response/sensor/12/reading", "gw-7/response/sensor/12/reading"},
		{"{device}/", "request/sensor/list", "gw-7/request/sensor/list"},
		{"cmd/{device}/", "req", "cmd/gw-7/req"},
		{"plant-3/{device}/{device}/", "events", "plant-3/gw-7/gw-7/events"},
		{"site/", "events", "site/events"},
		{"/", "events", "/events"},
	} {
		d := newDialect(t, mqtt.Config{DeviceID: "gw-7", TopicPrefix: tc.prefix})
		got, err := d.PublishTopic(transport.Message{Topic: tc.canonical})
		if err != nil || got != tc.broker {
			t.Errorf("prefix %q: PublishTopic(%q) = %q, %v; want %q", tc.prefix, tc.canonical, got, err, tc.broker)
		}
		filter, err := d.SubscribeFilter(tc.canonical)
		if err != nil || filter != tc.broker {
			t.Errorf("prefix %q: SubscribeFilter(%q) = %q, %v; want %q", tc.prefix, tc.canonical, filter, err, tc.broker)
		}
		in, ok := d.Incoming(transport.Message{Topic: tc.broker, Payload: []byte("p"), QoS: 1, Duplicate: true})
		if !ok || in.Topic != tc.canonical || string(in.Payload) != "p" || in.QoS != 1 || !in.Duplicate {
			t.Errorf("prefix %q: Incoming(%q) = %+v, %v; want %q with payload, QoS and DUP kept", tc.prefix, tc.broker, in, ok, tc.canonical)
		}
	}
}

func TestDialectFilters(t *testing.T) {
	d := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	for canonical, want := range map[string]string{
		"request/#":   "gw-7/request/#",
		"#":           "gw-7/#",
		"+/sensor/+":  "gw-7/+/sensor/+",
		"config/desc": "gw-7/config/desc",
	} {
		got, err := d.SubscribeFilter(canonical)
		if err != nil || got != want {
			t.Errorf("SubscribeFilter(%q) = %q, %v; want %q", canonical, got, err, want)
		}
	}
	for _, bad := range []string{"", "a/#/b", "$SYS/#", "a//b", "a+"} {
		if _, err := d.SubscribeFilter(bad); !errors.Is(err, transport.ErrInvalidTopic) {
			t.Errorf("SubscribeFilter(%q) = %v, want ErrInvalidTopic", bad, err)
		}
	}
}

func TestDialectIncomingNotCanonical(t *testing.T) {
	d := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	for _, topic := range []string{
		"gw-8/events",        // another device
		"gw-7",               // the prefix's parent ("gw-7/#" matches it)
		"gw-7/",              // nothing after the prefix
		"gw-7//x",            // an empty level
		"gw-7/x/",            // a trailing empty level
		"gw-7/$x",            // "$" first
		"gw-77/events",       // a device whose ID starts with ours
		"$SYS/broker/uptime", // broker topic
		"events",
	} {
		if m, ok := d.Incoming(transport.Message{Topic: topic}); ok {
			t.Errorf("Incoming(%q) = %+v, true; want not canonical", topic, m)
		}
	}
}

func TestDialectProperties(t *testing.T) {
	props := transport.Properties{CorrelationID: "c-1", Application: map[string]string{"k": "v"}}
	reject := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	_, err := reject.PublishTopic(transport.Message{Topic: "events", Properties: props})
	if !errors.Is(err, transport.ErrPropertiesNotSupported) || !errors.Is(err, mqtt.ErrPropertiesNotSupported) {
		t.Errorf("PropertiesReject: %v, want ErrPropertiesNotSupported", err)
	}
	ignore := newDialect(t, mqtt.Config{DeviceID: "gw-7", Properties: mqtt.PropertiesIgnore})
	if topic, err := ignore.PublishTopic(transport.Message{Topic: "events", Properties: props}); err != nil || topic != "gw-7/events" {
		t.Errorf("PropertiesIgnore: %q, %v; want gw-7/events", topic, err)
	}
	if _, err := reject.PublishTopic(transport.Message{Topic: "a/+"}); !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("PublishTopic(a/+) = %v, want ErrInvalidTopic", err)
	}
}

func TestDialectCheckPublish(t *testing.T) {
	plain := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	qos2 := newDialect(t, mqtt.Config{DeviceID: "gw-7", AllowQoS2: true})
	small := newDialect(t, mqtt.Config{DeviceID: "gw-7", MaxPayload: 1024})
	long := strings.Repeat("t", mqtt.MaxTopicLength)
	for _, tc := range []struct {
		name    string
		d       *mqtt.Dialect
		topic   string
		payload int
		qos     byte
		want    error // nil: allowed
		max     int   // the LimitError's Max, when want is a limit
	}{
		{"canonical", plain, "gw-7/events", 10, 1, nil, 0},
		{"any topic", plain, "legacy/telemetry/line-3", 0, 0, nil, 0},
		{"dollar topic", plain, "$share/x", 0, 0, nil, 0},
		{"longest topic", plain, long, 0, 0, nil, 0},
		{"topic too long", plain, long + "t", 0, 0, mqtt.ErrTopicTooLong, mqtt.MaxTopicLength},
		{"empty topic", plain, "", 0, 0, mqtt.ErrInvalidTopic, 0},
		{"wildcard topic", plain, "a/+/b", 0, 0, mqtt.ErrInvalidTopic, 0},
		{"NUL topic", plain, "a\x00", 0, 0, mqtt.ErrInvalidTopic, 0},
		{"QoS 2 refused", plain, "a", 0, 2, mqtt.ErrQoSNotSupported, 1},
		{"QoS 2 allowed", qos2, "a", 0, 2, nil, 0},
		{"QoS 3", qos2, "a", 0, 3, mqtt.ErrQoSNotSupported, 2},
		{"payload at MaxPayload", small, "a", 1024, 1, nil, 0},
		{"payload over MaxPayload", small, "a", 1025, 1, mqtt.ErrPayloadTooLarge, 1024},
	} {
		err := tc.d.CheckPublish(tc.topic, make([]byte, tc.payload), tc.qos)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: CheckPublish = %v, want nil", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckPublish = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if tc.max > 0 {
			var le *transport.LimitError
			if !errors.As(err, &le) || le.Max != tc.max || le.Cloud != transport.CloudMQTT {
				t.Errorf("%s: %v: want a *transport.LimitError with Max %d, Cloud mqtt", tc.name, err, tc.max)
			}
		}
	}
}

// The shared sentinels match whatever the adapter.
func TestErrorsMatchSharedSentinels(t *testing.T) {
	for mine, shared := range map[error]error{
		mqtt.ErrPayloadTooLarge:        transport.ErrPayloadTooLarge,
		mqtt.ErrTopicTooLong:           transport.ErrTopicTooLong,
		mqtt.ErrInvalidTopic:           transport.ErrInvalidTopic,
		mqtt.ErrQoSNotSupported:        transport.ErrQoSNotSupported,
		mqtt.ErrPropertiesNotSupported: transport.ErrPropertiesNotSupported,
	} {
		if !errors.Is(mine, shared) || !strings.HasPrefix(mine.Error(), "mqtt: ") {
			t.Errorf("%v: want an mqtt: error matching %v", mine, shared)
		}
	}
	d := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	if err := d.CheckPublish("a/#", nil, 0); !errors.Is(err, mqttx.ErrInvalidTopic) || !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("CheckPublish(a/#) = %v, want both mqttx and transport ErrInvalidTopic", err)
	}
	if err := d.CheckSubscribe("a/#/b", 0); !errors.Is(err, mqttx.ErrInvalidFilter) || !errors.Is(err, transport.ErrInvalidTopic) {
		t.Errorf("CheckSubscribe(a/#/b) = %v, want mqttx.ErrInvalidFilter and transport.ErrInvalidTopic", err)
	}
}

func TestDialectCheckSubscribe(t *testing.T) {
	plain := newDialect(t, mqtt.Config{DeviceID: "gw-7"})
	qos2 := newDialect(t, mqtt.Config{DeviceID: "gw-7", AllowQoS2: true})
	for _, tc := range []struct {
		d      *mqtt.Dialect
		filter string
		qos    byte
		want   error
	}{
		{plain, "gw-7/request/#", 1, nil},
		{plain, "#", 0, nil},
		{plain, "$SYS/#", 0, nil},
		{plain, "$share/group/jobs/+", 1, nil},
		{plain, "a/#/b", 1, mqtt.ErrInvalidTopic},
		{plain, "", 1, mqtt.ErrInvalidTopic},
		{plain, strings.Repeat("f", mqtt.MaxTopicLength+1), 0, mqtt.ErrTopicTooLong},
		{plain, "a", 2, mqtt.ErrQoSNotSupported},
		{qos2, "a", 2, nil},
	} {
		err := tc.d.CheckSubscribe(tc.filter, tc.qos)
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("CheckSubscribe(%.20q, %d) = %v, want %v", tc.filter, tc.qos, err, tc.want)
		}
	}
}

func TestDialectInfoAndLimits(t *testing.T) {
	d := newDialect(t, mqtt.Config{DeviceID: "gw-7", MaxSubscriptions: 10, PublishRate: 5, ByteRate: 1000, MaxPayload: 512})
	if got, want := d.Info(), (transport.Info{Cloud: transport.CloudMQTT, DeviceID: "gw-7", ClientID: "gw-7"}); got != want {
		t.Errorf("Info = %+v, want %+v", got, want)
	}
	if got, want := d.Limits(), (transport.Limits{MaxSubscriptions: 10, PublishRate: 5, ByteRate: 1000, MaxPayload: 512}); got != want {
		t.Errorf("Limits = %+v, want %+v", got, want)
	}
	if d.Prefix() != "gw-7/" {
		t.Errorf("Prefix = %q", d.Prefix())
	}
	if _, err := mqtt.NewDialect(mqtt.Config{}); err == nil {
		t.Error("NewDialect without DeviceID succeeded")
	}
}
