package twindoc_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/twindoc"
)

// A device's twin session: GET the twin, apply desired patches in version
// order, and report state with AWS-style names mapped for Azure.
func Example() {
	// 1. After subscribing to twindoc.ResponseFilter and twindoc.DesiredFilter, GET.
	get, _ := twindoc.GetTopic("1")
	fmt.Println("publish", get)

	// 2. The hub answers on the response topic with the full twin.
	res, _ := twindoc.ParseResponseTopic("$iothub/twin/res/200/?$rid=1")
	tw, _ := twindoc.ParseTwin([]byte(`{"desired":{"interval":30,"mode":"eco","$version":7},"reported":{"$version":3}}`))
	fmt.Println("status", res.Status, "desired version", tw.Desired.Version)
	desired, applied := tw.Desired.Values, tw.Desired.Version

	// 3. Desired patches: stale ones are ignored, the next one merged, a gap means GET again.
	for _, n := range []struct {
		topic, payload string
	}{
		{"$iothub/twin/PATCH/properties/desired/?$version=7", `{"interval":99,"$version":7}`},
		{"$iothub/twin/PATCH/properties/desired/?$version=8", `{"interval":60,"mode":null,"$version":8}`},
		{"$iothub/twin/PATCH/properties/desired/?$version=10", `{"interval":5,"$version":10}`},
	} {
		v, _ := twindoc.ParseDesiredTopic(n.topic)
		action := twindoc.DecideDesired(applied, v)
		fmt.Println("patch", v, "->", action)
		if action == twindoc.PatchApply {
			patch, _ := twindoc.ParseDesiredPatch([]byte(n.payload))
			desired, applied = twindoc.Merge(desired, patch.Values), patch.Version
		}
	}
	b, _ := json.Marshal(desired)
	fmt.Println("desired", string(b))

	// 4. Report state. "fan speed" is an AWS-style name: the hub forbids spaces.
	state := map[string]any{"fan speed": 3, "interval": 60}
	fmt.Println("unmapped:", twindoc.Validate(state))
	mapped, _ := twindoc.MapKeys(state, nil)
	payload, _ := json.Marshal(mapped)
	if _, err := twindoc.ParseReportedPatch(payload); err != nil {
		fmt.Println("invalid:", err)
		return
	}
	patchTopic, _ := twindoc.ReportedPatchTopic("2")
	fmt.Println("publish", patchTopic, string(payload))

	// 5. The answer carries the new reported version, or a failure status.
	ok, _ := twindoc.ParseResponseTopic("$iothub/twin/res/204/?$rid=2&$version=4")
	fmt.Println("reported version", ok.Version, "err", ok.Err())
	throttled, _ := twindoc.ParseResponseTopic("$iothub/twin/res/429/?$rid=3")
	err := throttled.Err()
	var se *twindoc.StatusError
	fmt.Println(errors.As(err, &se) && se.Retryable(), errors.Is(err, twindoc.ErrThrottled))

	// Output:
	// publish $iothub/twin/GET/?$rid=1
	// status 200 desired version 7
	// patch 7 -> ignore
	// patch 8 -> apply
	// patch 10 -> resync
	// desired {"interval":60}
	// unmapped: twindoc: invalid properties at "/fan speed": key contains ' '
	// publish $iothub/twin/PATCH/properties/reported/?$rid=2 {"fanspeed":3,"interval":60}
	// reported version 4 err <nil>
	// true true
}

// The emulator side: parse a request, validate and merge a reported patch,
// answer with the new version.
func ExampleParseRequestTopic() {
	req, _ := twindoc.ParseRequestTopic("$iothub/twin/PATCH/properties/reported/?$rid=42")
	reported := map[string]any{"fw": "1.0"}
	version := int64(3)

	patch, err := twindoc.ParseReportedPatch([]byte(`{"fw":"1.1","uptime":12}`))
	status := twindoc.StatusNoContent
	if err != nil {
		status = twindoc.StatusBadRequest
	} else if merged := twindoc.Merge(reported, patch); twindoc.CheckSize(merged) != nil {
		status = twindoc.StatusBadRequest
	} else {
		reported, version = merged, version+1
	}
	topic, _ := twindoc.ResponseTopic(twindoc.Response{Status: status, RequestID: req.RequestID, Version: version, HasVersion: status == twindoc.StatusNoContent})
	fmt.Println(req.Kind, topic)

	body, _ := twindoc.Properties{Values: reported, Version: version}.MarshalJSON()
	fmt.Println(string(body))
	// Output:
	// PATCH reported $iothub/twin/res/204/?$rid=42&$version=4
	// {"$version":4,"fw":"1.1","uptime":12}
}

func ExampleValidate() {
	err := twindoc.Validate(map[string]any{"counter": json.Number("4503599627370496")})
	var ve *twindoc.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Path, errors.Is(err, twindoc.ErrIntegerOutOfRange))
	}
	// Output: /counter true
}
