package shadowdoc_test

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// Example runs one desired → delta → reported round between a device and the
// shadow service, with both sides using this package.
func Example() {
	// Device side: the topic to publish to, and a request the service accepts.
	topic, _ := shadowdoc.Topic{Thing: "gw-01", Op: shadowdoc.OpUpdate}.Build()
	req := &shadowdoc.UpdateRequest{
		State:       shadowdoc.UpdateState{Desired: shadowdoc.Patch(map[string]any{"fan": map[string]any{"speed": 3}})},
		ClientToken: "app-1",
	}
	if err := shadowdoc.ValidateRequest(req, shadowdoc.Limits{}); err != nil {
		fmt.Println(err)
		return
	}
	payload, _ := shadowdoc.Marshal(req)
	fmt.Println(topic, string(payload))

	// Service side (the emulator): parse and apply at t=1700000000.
	parsed, err := shadowdoc.ParseUpdateRequest(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := shadowdoc.ApplyUpdate(nil, parsed, 1700000000, shadowdoc.Limits{})
	delta, _ := shadowdoc.Marshal(res.Delta)
	fmt.Println("update/delta:", string(delta))

	// Device side: decide with the versions it has applied, then report.
	var vs shadowdoc.Versions
	got, _ := shadowdoc.ParseDelta(delta)
	fmt.Println("decision:", vs.CheckDelta(got.Version))
	vs.Delta = got.Version

	report := &shadowdoc.UpdateRequest{State: shadowdoc.UpdateState{Reported: shadowdoc.Patch(got.State)}}
	res, err = shadowdoc.ApplyUpdate(&res.Document, report, 1700000005, shadowdoc.Limits{})
	fmt.Println("version:", res.Document.Version, "delta left:", res.Delta != nil, err)

	// A conditional update with a stale version is rejected as AWS would.
	stale := int64(1)
	_, err = shadowdoc.ApplyUpdate(&res.Document, &shadowdoc.UpdateRequest{Version: &stale}, 1700000006, shadowdoc.Limits{})
	var e *shadowdoc.Error
	if errors.As(err, &e) {
		rejected, _ := shadowdoc.Marshal(e.Response(1700000006, "dev-7"))
		fmt.Println("update/rejected:", string(rejected))
	}
	// Output:
	// $aws/things/gw-01/shadow/update {"state":{"desired":{"fan":{"speed":3}}},"clientToken":"app-1"}
	// update/delta: {"state":{"fan":{"speed":3}},"metadata":{"fan":{"speed":{"timestamp":1700000000}}},"version":1,"timestamp":1700000000,"clientToken":"app-1"}
	// decision: apply
	// version: 2 delta left: false <nil>
	// update/rejected: {"code":409,"message":"Version conflict","timestamp":1700000006,"clientToken":"dev-7"}
}

// ExampleComputeDelta shows the delta rules: full paths, whole arrays, and
// numbers compared by value.
func ExampleComputeDelta() {
	desired := map[string]any{
		"lights": map[string]any{"color": map[string]any{"r": 255, "g": 255}},
		"zones":  []any{"a", "b"},
		"level":  1,
	}
	reported := map[string]any{
		"lights": map[string]any{"color": map[string]any{"r": 255, "g": 0}},
		"zones":  []any{"a"},
		"level":  1.0,
		"uptime": 42,
	}
	b, _ := shadowdoc.Marshal(shadowdoc.ComputeDelta(desired, reported))
	fmt.Println(string(b))
	// Output: {"lights":{"color":{"g":255}},"zones":["a","b"]}
}
