package shadowdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Marshal encodes v compactly as the service does: no HTML escaping
// ('<', '>' and '&' stay as they are, which matters for the size limit) and no
// trailing newline. Map keys are sorted.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decode decodes exactly one JSON value from data into v with UseNumber and
// rejects trailing data.
func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("shadowdoc: data after the JSON value")

// Equal reports whether a and b are the same JSON value, the way the service
// compares desired with reported: objects member by member (order ignored),
// arrays element by element, strings and booleans exactly, and numbers by
// exact decimal value, so 1, 1.0, 10e-1 and 1E0 are equal while 1 and "1"
// are not. Numbers may be json.Number or any Go integer or float type.
// Values of other Go types are compared with reflect.DeepEqual.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if as, ok := numberText(a); ok {
		bs, ok := numberText(b)
		return ok && numbersEqual(as, bs)
	}
	return reflect.DeepEqual(a, b)
}

// numberText returns the decimal text of a JSON number held in v.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(n), 'g', -1, 32), true
	case int:
		return strconv.FormatInt(int64(n), 10), true
	case int8:
		return strconv.FormatInt(int64(n), 10), true
	case int16:
		return strconv.FormatInt(int64(n), 10), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case uint:
		return strconv.FormatUint(uint64(n), 10), true
	case uint8:
		return strconv.FormatUint(uint64(n), 10), true
	case uint16:
		return strconv.FormatUint(uint64(n), 10), true
	case uint32:
		return strconv.FormatUint(uint64(n), 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	}
	return "", false
}

// numbersEqual compares two decimal number texts by exact value. Texts that
// are not JSON numbers (NaN, Inf) are equal only if identical.
func numbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	ca, okA := canonicalDecimal(a)
	cb, okB := canonicalDecimal(b)
	if !okA || !okB {
		return false
	}
	return ca == cb
}

// canonicalDecimal normalises a JSON number text to "[-]digits e exponent"
// with no leading or trailing zeros in digits, so equal values give equal
// strings. It never expands the exponent, so "1e999999999" costs nothing.
func canonicalDecimal(s string) (string, bool) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") { // strconv float output never has it; be tolerant
		s = s[1:]
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	if digits == "" || !allDigits(digits) {
		return "", false
	}
	e := new(big.Int)
	if exp != "" {
		if _, ok := e.SetString(exp, 10); !ok {
			return "", false
		}
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", true // -0 == 0
	}
	trimmed := strings.TrimRight(digits, "0")
	// value = digits × 10^(exp − len(frac)); moving trailing zeros into the exponent.
	e.Sub(e, big.NewInt(int64(len(frac))))
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed))))
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + trimmed + "e" + e.String(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// deepCopy copies maps and slices of a JSON value; scalars are shared.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyObject(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// copyObject deep-copies m; nil stays nil.
func copyObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// Depth is the nesting depth of a JSON value as the shadow limit counts it:
// a scalar (or null) is 0, an object or array is one more than its deepest
// member. {"a":{"b":1}} has depth 2.
func Depth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, Depth(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, Depth(e))
		}
		return d + 1
	}
	return 0
}

// hasNullInArray reports whether v holds a null as an array element, at any
// nesting. Null members of objects are patch deletions and are allowed, also
// inside objects that are array elements (AWS documents only the array
// element case).
func hasNullInArray(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hasNullInArray(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if e == nil || hasNullInArray(e) {
				return true
			}
		}
	}
	return false
}
