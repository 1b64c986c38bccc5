package benchmark_test

import (
	"testing"

	"github.com/tether-iot/tether/internal/shadowdoc"
	"github.com/tether-iot/tether/internal/twindoc"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/azureiot"
)

// Sinks keep the compiler from discarding the measured work.
var (
	sinkBytes  []byte
	sinkString string
	sinkBag    azureiot.PropertyBag
	sinkMap    map[string]any
	sinkErr    error
)

const canonicalTopic = "response/sensor/12/reading"

// BenchmarkTopicAWS measures canonical → AWS topic translation: AppendAWS
// into a reused buffer (the allocation-free path) and ToAWS, which returns
// a new string.
func BenchmarkTopicAWS(b *testing.B) {
	topics, err := awsiot.NewTopics("gateway-7")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("AppendAWS", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			buf = topics.AppendAWS(buf[:0], canonicalTopic)
		}
		sinkBytes = buf
	})
	b.Run("ToAWS", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkString = topics.ToAWS(canonicalTopic)
		}
	})
}

// BenchmarkTopicAzure measures canonical → Azure device-to-cloud topic
// translation (azureiot.D2CTopic): a canonical topic carried as the
// subtopic, the plain "events" topic, and a subtopic with the content type
// and encoding properties IoT Hub routing needs.
func BenchmarkTopicAzure(b *testing.B) {
	for _, tc := range []struct {
		name      string
		canonical string
		props     azureiot.Properties
	}{
		{"subtopic", canonicalTopic, azureiot.Properties{}},
		{"events", azureiot.CanonicalEventsTopic, azureiot.Properties{}},
		{"properties", canonicalTopic, azureiot.Properties{ContentType: "application/json", ContentEncoding: "utf-8"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				sinkString, sinkErr = azureiot.D2CTopic("gateway-7", "", tc.canonical, tc.props)
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

// propertyBag is a cloud-to-device property bag as IoT Hub delivers it.
const propertyBag = "%24.mid=6f1e3c2a-0d4b-4c8e-9a7f-2b5d8e1c4a90&%24.to=%2Fdevices%2Fgateway-7%2Fmessages%2Fdevicebound&%24.ct=application%2Fjson&%24.ce=utf-8&iothub-ack=full&subtopic=request.sensor.list&unit=%C2%B0C"

// BenchmarkPropertyBag measures decoding and encoding an IoT Hub property
// bag.
func BenchmarkPropertyBag(b *testing.B) {
	bag, err := azureiot.ParsePropertyBag(propertyBag)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkBag, sinkErr = azureiot.ParsePropertyBag(propertyBag)
		}
	})
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkString, sinkErr = bag.Encode()
		}
	})
}

// thermostat returns a thermostat's desired and reported state: nested
// objects, an array, and three leaves that differ.
func thermostat() (desired, reported map[string]any) {
	desired = map[string]any{
		"mode":     "heat",
		"setpoint": 21.5,
		"fan":      map[string]any{"speed": 3.0, "auto": true},
		"schedule": map[string]any{
			"weekday": []any{map[string]any{"at": "06:30", "setpoint": 21.0}, map[string]any{"at": "22:00", "setpoint": 17.0}},
			"weekend": []any{map[string]any{"at": "08:00", "setpoint": 21.5}, map[string]any{"at": "23:00", "setpoint": 17.0}},
		},
		"display":  map[string]any{"brightness": 70.0, "units": "C", "locked": false},
		"firmware": map[string]any{"channel": "stable", "autoUpdate": true},
		"interval": 60.0,
	}
	reported = map[string]any{
		"mode":     "cool",
		"setpoint": 21.5,
		"fan":      map[string]any{"speed": 2.0, "auto": true},
		"schedule": map[string]any{
			"weekday": []any{map[string]any{"at": "06:30", "setpoint": 21.0}, map[string]any{"at": "22:00", "setpoint": 17.0}},
			"weekend": []any{map[string]any{"at": "08:00", "setpoint": 21.5}, map[string]any{"at": "23:00", "setpoint": 17.0}},
		},
		"display":     map[string]any{"brightness": 70.0, "units": "C", "locked": false},
		"firmware":    map[string]any{"channel": "beta", "autoUpdate": true, "version": "2.4.1"},
		"interval":    60.0,
		"temperature": 19.8,
	}
	return desired, reported
}

// BenchmarkShadowDelta measures the delta computation of an AWS shadow
// (shadowdoc.ComputeDelta) on a thermostat's state.
func BenchmarkShadowDelta(b *testing.B) {
	desired, reported := thermostat()
	if d := shadowdoc.ComputeDelta(desired, reported); len(d) != 3 {
		b.Fatalf("delta %v, want 3 members", d)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkMap = shadowdoc.ComputeDelta(desired, reported)
	}
}

// BenchmarkTwinValidate measures checking a reported-properties patch
// against IoT Hub's rules (twindoc.Validate) before it is sent.
func BenchmarkTwinValidate(b *testing.B) {
	_, patch := thermostat()
	if err := twindoc.Validate(patch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkErr = twindoc.Validate(patch)
	}
}
