package firmware_test

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/tether-iot/tether/examples/thermostat/firmware"
)

// FuzzSetpoint feeds Setpoint desired states decoded from cloud JSON: it
// must never panic, return only finite numbers, and accept exactly the
// finite JSON numbers.
func FuzzSetpoint(f *testing.F) {
	f.Add(`{"setpoint":22.5}`)
	f.Add(`{"setpoint":"22.5"}`)
	f.Add(`{"setpoint":1e999,"mode":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var decoded, plain map[string]any
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		if d.Decode(&decoded) != nil {
			return
		}
		sp, ok := firmware.Setpoint(decoded)
		if ok && (math.IsNaN(sp) || math.IsInf(sp, 0)) {
			t.Fatalf("Setpoint(%s) = %v", doc, sp)
		}
		n, isNumber := decoded[firmware.SetpointKey].(json.Number)
		if isNumber {
			want, err := strconv.ParseFloat(string(n), 64)
			wantOK := err == nil && !math.IsInf(want, 0)
			if ok != wantOK || ok && sp != want {
				t.Fatalf("Setpoint(%s) = %v, %v; want %v, %v", doc, sp, ok, want, wantOK)
			}
		} else if ok {
			t.Fatalf("Setpoint(%s) accepted a %T", doc, decoded[firmware.SetpointKey])
		}
		// The same document decoded to float64 gives the same answer.
		if json.Unmarshal([]byte(doc), &plain) == nil && isNumber {
			if sp2, ok2 := firmware.Setpoint(plain); ok2 != ok || ok && sp2 != sp {
				t.Fatalf("Setpoint differs with float64 decoding: %v, %v vs %v, %v", sp2, ok2, sp, ok)
			}
		}
	})
}
