package firmware

import (
	"encoding/json"
	"math"
	"strconv"
)

// Approach returns the temperature one step of at most step closer to
// target (target itself once within step), rounded to 0.01 °C so that
// reports do not carry floating-point noise.
func Approach(current, target, step float64) float64 {
	var next float64
	switch {
	case math.Abs(target-current) <= step:
		next = target
	case target > current:
		next = current + step
	default:
		next = current - step
	}
	return math.Round(next*100) / 100
}

// Setpoint returns the setpoint in a desired state, and false if there is
// none or it is not a finite number. Numbers may be json.Number (as both
// clouds' clients decode them), float64 or any Go integer or float.
func Setpoint(desired map[string]any) (float64, bool) {
	v, ok := desired[SetpointKey]
	if !ok {
		return 0, false
	}
	var f float64
	switch n := v.(type) {
	case json.Number:
		x, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, false
		}
		f = x
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case int32:
		f = float64(n)
	case uint:
		f = float64(n)
	case uint64:
		f = float64(n)
	case uint32:
		f = float64(n)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
