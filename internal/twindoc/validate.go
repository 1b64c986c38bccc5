package twindoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IoT Hub's documented limits on desired and reported properties
// (iot-hub-devguide-device-twins), with the counting rules IoT Edge's hub
// applies to reported properties (ReportedPropertiesValidator.cs).
const (
	// MaxKeyBytes is the longest key, in UTF-8 bytes.
	MaxKeyBytes = 1024
	// MaxStringBytes is the longest string value, in UTF-8 bytes.
	MaxStringBytes = 4096
	// MaxDepth is the deepest object or array nesting below the properties
	// root. The root (desired, reported, or a patch) is level 0, an object or
	// array that is the value of one of its keys is level 1, and so on: the
	// hub's own example nests keys "one".."ten" and puts {"property":"value"}
	// at level 10, which is valid; one more object level is not.
	MaxDepth = 10
	// MaxPropertiesSize is the limit on Size of desired and of reported
	// properties, each (tags, not reachable over MQTT, have 8 KiB).
	MaxPropertiesSize = 32 * 1024
	// MaxSafeInteger is the largest integer value: 2^52-1.
	MaxSafeInteger int64 = 1<<52 - 1
	// MinSafeInteger is the smallest integer value: -2^52. The range is
	// asymmetric, as documented.
	MinSafeInteger int64 = -(1 << 52)

	// Size accounting of scalars, as documented.
	numberSize = 8
	boolSize   = 4
)

// Validation errors. Every error Validate, CheckSize and MapKeys return is a
// *ValidationError matching ErrInvalidProperties and exactly one of the others.
var (
	ErrInvalidProperties = errors.New("twindoc: properties break the twin rules")
	ErrInvalidKey        = errors.New("twindoc: invalid key")
	ErrTooDeep           = errors.New("twindoc: nested too deep")
	ErrStringTooLong     = errors.New("twindoc: string value too long")
	ErrIntegerOutOfRange = errors.New("twindoc: integer out of range")
	ErrNullInArray       = errors.New("twindoc: null inside an array")
	ErrUnsupportedValue  = errors.New("twindoc: unsupported value")
	ErrTooLarge          = errors.New("twindoc: properties too large")
	ErrKeyCollision      = errors.New("twindoc: mapped keys collide")
)

// ValidationError locates a rule a properties document breaks.
type ValidationError struct {
	// Path is a JSON Pointer (RFC 6901) to the offending member, relative to
	// the properties root; "" is the root itself. Keys are not truncated.
	Path string
	// Reason says what is wrong, for people.
	Reason string
	// Err is the specific sentinel (ErrInvalidKey, ErrTooDeep, ...).
	Err error
}

// Error implements error.
func (e *ValidationError) Error() string {
	path := e.Path
	if path == "" {
		path = "/"
	}
	return "twindoc: invalid properties at " + strconv.Quote(path) + ": " + e.Reason
}

// Unwrap returns the specific sentinel and ErrInvalidProperties.
func (e *ValidationError) Unwrap() []error { return []error{e.Err, ErrInvalidProperties} }

// Validate checks doc, a properties document or patch as DecodeObject returns
// it, against the hub's rules before it is sent (device) or accepted
// (emulator, which answers 400):
//   - keys: at most MaxKeyBytes bytes of valid UTF-8, without Unicode control
//     characters (C0, DEL, C1), '.', '$' or space; '$' is reserved for the
//     service's keys anywhere in a key, so $version and $metadata are rejected
//     too: take them out first (ParseDesiredPatch and ParseTwin do);
//   - strings: at most MaxStringBytes bytes of valid UTF-8;
//   - integers (number literals without fraction or exponent, as they will be
//     sent): MinSafeInteger..MaxSafeInteger; other numbers are not limited;
//   - arrays may not contain null, nor may objects inside arrays (not in the
//     hub's docs; IoT Edge's validator, whose limits are "taken from IoTHub",
//     rejects it, and a null there has no merge-patch meaning);
//   - depth: at most MaxDepth (see MaxDepth for how it is counted);
//   - Size(doc) at most MaxPropertiesSize. This bounds a patch; the hub limits
//     the document after the patch is merged: check CheckSize(Merge(...)) too
//     when the whole document is known.
//
// Values may be nil, bool, string, json.Number, []any, map[string]any or Go
// numbers (checked as encoding/json would write them). The first error is
// returned, visiting keys in sorted order.
func Validate(doc map[string]any) error {
	w := walker{path: make([]string, 0, 8)}
	if err := w.value(doc, 0, false); err != nil {
		return err
	}
	return CheckSize(doc)
}

// CheckSize returns a *ValidationError matching ErrTooLarge if Size(doc) is
// over MaxPropertiesSize.
func CheckSize(doc map[string]any) error {
	if n := Size(doc); n > MaxPropertiesSize {
		return &ValidationError{
			Reason: fmt.Sprintf("size %d exceeds %d", n, MaxPropertiesSize),
			Err:    ErrTooLarge,
		}
	}
	return nil
}

// Size computes the size of a properties document the way IoT Hub documents
// it: for every member, the length of its key plus the size of its value;
// strings count their UTF-8 bytes except Unicode control characters, numbers
// count 8, booleans 4, objects and arrays the sum of what they contain.
// Read-only service members (keys starting with '$': $version, $metadata) and
// null members (a patch's deletions) count nothing.
//
// The hub's text says it counts "characters"; counting bytes is equal for
// ASCII and larger otherwise, so a document within this size is within the
// hub's limit.
func Size(doc map[string]any) int {
	n := 0
	for k, v := range doc {
		if v == nil || strings.HasPrefix(k, "$") {
			continue
		}
		n += stringSize(k) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return stringSize(v)
	case bool:
		return boolSize
	case map[string]any:
		return Size(v)
	case []any:
		n := 0
		for _, e := range v {
			n += valueSize(e)
		}
		return n
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return numberSize
	}
	return 0
}

func stringSize(s string) int {
	n := len(s)
	for _, r := range s {
		if unicode.IsControl(r) {
			n -= utf8.RuneLen(r)
		}
	}
	return n
}

// walker carries the JSON Pointer segments of the value being checked, turned
// into a string only when an error is reported.
type walker struct {
	path []string
}

func (w *walker) fail(sentinel error, format string, args ...any) error {
	var sb strings.Builder
	for _, seg := range w.path {
		sb.WriteByte('/')
		sb.WriteString(strings.ReplaceAll(strings.ReplaceAll(seg, "~", "~0"), "/", "~1"))
	}
	return &ValidationError{Path: sb.String(), Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

func (w *walker) value(v any, depth int, inArray bool) error {
	switch v := v.(type) {
	case nil:
		if inArray {
			return w.fail(ErrNullInArray, "null inside an array")
		}
	case bool:
	case string:
		if len(v) > MaxStringBytes {
			return w.fail(ErrStringTooLong, "string is %d bytes; the limit is %d", len(v), MaxStringBytes)
		}
		if !utf8.ValidString(v) {
			return w.fail(ErrUnsupportedValue, "string is not valid UTF-8")
		}
	case json.Number:
		return w.number(string(v))
	case float64, float32:
		b, err := json.Marshal(v)
		if err != nil {
			return w.fail(ErrUnsupportedValue, "number %v has no JSON form", v)
		}
		return w.number(string(b))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return w.number(fmt.Sprint(v))
	case map[string]any:
		if depth > MaxDepth {
			return w.fail(ErrTooDeep, "object at depth %d; the limit is %d", depth, MaxDepth)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			w.path = append(w.path, k)
			if err := w.key(k); err != nil {
				return err
			}
			if err := w.value(v[k], depth+1, inArray); err != nil {
				return err
			}
			w.path = w.path[:len(w.path)-1]
		}
	case []any:
		if depth > MaxDepth {
			return w.fail(ErrTooDeep, "array at depth %d; the limit is %d", depth, MaxDepth)
		}
		for i, e := range v {
			w.path = append(w.path, strconv.Itoa(i))
			if err := w.value(e, depth+1, true); err != nil {
				return err
			}
			w.path = w.path[:len(w.path)-1]
		}
	default:
		return w.fail(ErrUnsupportedValue, "value of type %T", v)
	}
	return nil
}

func (w *walker) key(k string) error {
	if len(k) > MaxKeyBytes {
		return w.fail(ErrInvalidKey, "key is %d bytes; the limit is %d", len(k), MaxKeyBytes)
	}
	if !utf8.ValidString(k) {
		return w.fail(ErrInvalidKey, "key is not valid UTF-8")
	}
	for _, r := range k {
		if r == '.' || r == '$' || r == ' ' || unicode.IsControl(r) {
			return w.fail(ErrInvalidKey, "key contains %q", r)
		}
	}
	return nil
}

// number checks a JSON number literal: integers (no fraction, no exponent)
// must lie within MinSafeInteger..MaxSafeInteger.
func (w *walker) number(lit string) error {
	if !validNumber(lit) {
		return w.fail(ErrUnsupportedValue, "%q is not a JSON number", lit)
	}
	if strings.ContainsAny(lit, ".eE") {
		return nil
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil || n < MinSafeInteger || n > MaxSafeInteger {
		return w.fail(ErrIntegerOutOfRange, "integer %s outside %d..%d", lit, MinSafeInteger, MaxSafeInteger)
	}
	return nil
}

// validNumber reports whether s is a JSON number (RFC 8259 section 6).
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
