package twindoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// nested returns {"l1":{"l2":...{"lN":{"leaf":1}}}}: the innermost object is at
// depth n (the root is depth 0).
func nested(n int) map[string]any {
	inner := map[string]any{"leaf": json.Number("1")}
	for i := n; i >= 1; i-- {
		inner = map[string]any{fmt.Sprintf("l%d", i): inner}
	}
	return inner
}

// nestedArray returns {"a":[[...[1]...]]} with n arrays: the innermost array is at depth n.
func nestedArray(n int) map[string]any {
	var v any = json.Number("1")
	for i := 0; i < n; i++ {
		v = []any{v}
	}
	return map[string]any{"a": v}
}

func TestValidate(t *testing.T) {
	documentedExample := map[string]any{}
	{
		cur := documentedExample
		for _, k := range []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"} {
			next := map[string]any{}
			cur[k] = next
			cur = next
		}
		cur["property"] = "value"
	}
	tests := []struct {
		name     string
		doc      map[string]any
		sentinel error // nil: valid
		path     string
	}{
		{name: "empty", doc: map[string]any{}},
		{name: "nil", doc: nil},
		{name: "scalars", doc: map[string]any{"s": "x", "b": false, "n": json.Number("-1.5e3"), "z": nil, "o": map[string]any{}, "a": []any{}}},
		{name: "documented depth example", doc: documentedExample},

		{name: "depth 10", doc: nested(10)},
		{name: "depth 11", doc: nested(11), sentinel: ErrTooDeep, path: "/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11"},
		{name: "array depth 10", doc: nestedArray(10)},
		{name: "array depth 11", doc: nestedArray(11), sentinel: ErrTooDeep, path: "/a/0/0/0/0/0/0/0/0/0/0"},
		// The array is at depth 1, nested(n)'s root at 2, its innermost object at n+2.
		{name: "object in array counts", doc: map[string]any{"a": []any{nested(8)}}},
		{name: "object in array too deep", doc: map[string]any{"a": []any{nested(9)}}, sentinel: ErrTooDeep},

		{name: "string 4096 bytes", doc: map[string]any{"s": strings.Repeat("a", 4096)}},
		{name: "string 4097 bytes", doc: map[string]any{"s": strings.Repeat("a", 4097)}, sentinel: ErrStringTooLong, path: "/s"},
		{name: "string 2048 two-byte runes", doc: map[string]any{"s": strings.Repeat("é", 2048)}},
		{name: "string 4097 bytes multibyte", doc: map[string]any{"s": strings.Repeat("é", 2048) + "a"}, sentinel: ErrStringTooLong},
		{name: "string in array too long", doc: map[string]any{"a": []any{"x", strings.Repeat("a", 4097)}}, sentinel: ErrStringTooLong, path: "/a/1"},
		{name: "string invalid utf8", doc: map[string]any{"s": "\xff"}, sentinel: ErrUnsupportedValue},

		{name: "max integer", doc: map[string]any{"n": json.Number("4503599627370495")}},
		{name: "max integer + 1", doc: map[string]any{"n": json.Number("4503599627370496")}, sentinel: ErrIntegerOutOfRange, path: "/n"},
		{name: "min integer", doc: map[string]any{"n": json.Number("-4503599627370496")}},
		{name: "min integer - 1", doc: map[string]any{"n": json.Number("-4503599627370497")}, sentinel: ErrIntegerOutOfRange},
		{name: "beyond int64", doc: map[string]any{"n": json.Number("99999999999999999999")}, sentinel: ErrIntegerOutOfRange},
		{name: "negative zero", doc: map[string]any{"n": json.Number("-0")}},
		{name: "large non-integer", doc: map[string]any{"n": json.Number("4503599627370496.5")}},
		{name: "integer-valued fraction is not an integer", doc: map[string]any{"n": json.Number("4503599627370496.0")}},
		{name: "exponent is not an integer", doc: map[string]any{"n": json.Number("1e300")}},
		{name: "integer in array", doc: map[string]any{"a": []any{json.Number("4503599627370496")}}, sentinel: ErrIntegerOutOfRange, path: "/a/0"},
		{name: "invalid json.Number", doc: map[string]any{"n": json.Number("01")}, sentinel: ErrUnsupportedValue},
		{name: "go int64 max", doc: map[string]any{"n": MaxSafeInteger}},
		{name: "go int64 max + 1", doc: map[string]any{"n": MaxSafeInteger + 1}, sentinel: ErrIntegerOutOfRange},
		{name: "go int64 min", doc: map[string]any{"n": MinSafeInteger}},
		{name: "go int64 min - 1", doc: map[string]any{"n": MinSafeInteger - 1}, sentinel: ErrIntegerOutOfRange},
		{name: "go int", doc: map[string]any{"n": -5, "m": uint8(7)}},
		{name: "go uint64 max", doc: map[string]any{"n": uint64(math.MaxUint64)}, sentinel: ErrIntegerOutOfRange},
		{name: "go float64 2^53 marshals as an integer", doc: map[string]any{"n": float64(1 << 53)}, sentinel: ErrIntegerOutOfRange},
		{name: "go float64 2^52-1", doc: map[string]any{"n": float64(1<<52 - 1)}},
		{name: "go float64 1e21 marshals with exponent", doc: map[string]any{"n": 1e21}},
		{name: "go float64 fraction", doc: map[string]any{"n": 0.25}},
		{name: "go float64 NaN", doc: map[string]any{"n": math.NaN()}, sentinel: ErrUnsupportedValue},
		{name: "go struct", doc: map[string]any{"v": struct{}{}}, sentinel: ErrUnsupportedValue, path: "/v"},

		{name: "null member", doc: map[string]any{"gone": nil}},
		{name: "null in array", doc: map[string]any{"a": []any{json.Number("1"), nil}}, sentinel: ErrNullInArray, path: "/a/1"},
		{name: "null in object in array", doc: map[string]any{"a~b/c": []any{map[string]any{"k": nil}}}, sentinel: ErrNullInArray, path: "/a~0b~1c/0/k"},

		{name: "key 1024 bytes", doc: map[string]any{strings.Repeat("k", 1024): true}},
		{name: "key 1025 bytes", doc: map[string]any{strings.Repeat("k", 1025): true}, sentinel: ErrInvalidKey},
		{name: "key 512 two-byte runes", doc: map[string]any{strings.Repeat("é", 512): true}},
		{name: "key 1025 bytes multibyte", doc: map[string]any{strings.Repeat("é", 512) + "k": true}, sentinel: ErrInvalidKey},
		{name: "key with dot", doc: map[string]any{"a": map[string]any{"b.c": true}}, sentinel: ErrInvalidKey, path: "/a/b.c"},
		{name: "key with dollar first", doc: map[string]any{"$version": json.Number("1")}, sentinel: ErrInvalidKey, path: "/$version"},
		{name: "key with dollar inside", doc: map[string]any{"a$b": true}, sentinel: ErrInvalidKey},
		{name: "key with space", doc: map[string]any{"fan speed": true}, sentinel: ErrInvalidKey},
		{name: "key with NUL", doc: map[string]any{"a\x00": true}, sentinel: ErrInvalidKey},
		{name: "key with tab (C0)", doc: map[string]any{"a\tb": true}, sentinel: ErrInvalidKey},
		{name: "key with DEL", doc: map[string]any{"a\x7f": true}, sentinel: ErrInvalidKey},
		{name: "key with C1 U+0085", doc: map[string]any{"a\u0085": true}, sentinel: ErrInvalidKey},
		{name: "key with C1 U+009F", doc: map[string]any{"a\u009f": true}, sentinel: ErrInvalidKey},
		{name: "key invalid utf8", doc: map[string]any{"a\xff": true}, sentinel: ErrInvalidKey},
		{name: "key with other punctuation", doc: map[string]any{"a-b_c#d:e/f@g": true}},
		{name: "key with no-break space", doc: map[string]any{"a\u00a0b": true}},
		{name: "key in array object", doc: map[string]any{"a": []any{map[string]any{"x.y": true}}}, sentinel: ErrInvalidKey, path: "/a/0/x.y"},
		{name: "first error in key order", doc: map[string]any{"b": map[string]any{"$": true}, "a": map[string]any{"$": true}}, sentinel: ErrInvalidKey, path: "/a/$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.doc)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, tt.sentinel) || !errors.Is(err, ErrInvalidProperties) {
				t.Fatalf("Validate = %v, want *ValidationError matching %v and ErrInvalidProperties", err, tt.sentinel)
			}
			if tt.path != "" && ve.Path != tt.path {
				t.Fatalf("Path = %q, want %q", ve.Path, tt.path)
			}
		})
	}
}

// sizedDoc returns a document of 8 members whose Size is 32768+extra: keys
// "k0".."k7" (2 bytes) with string values of 4094 bytes, the last one
// lengthened by extra.
func sizedDoc(extra int) map[string]any {
	doc := map[string]any{}
	for i := 0; i < 8; i++ {
		n := 4094
		if i == 7 {
			n += extra
		}
		doc[fmt.Sprintf("k%d", i)] = strings.Repeat("v", n)
	}
	return doc
}

func TestValidateSizeBoundary(t *testing.T) {
	ok := sizedDoc(0)
	if n := Size(ok); n != MaxPropertiesSize {
		t.Fatalf("Size = %d, want %d", n, MaxPropertiesSize)
	}
	if err := Validate(ok); err != nil {
		t.Fatalf("Validate(32768) = %v, want nil", err)
	}
	over := sizedDoc(1)
	if n := Size(over); n != MaxPropertiesSize+1 {
		t.Fatalf("Size = %d, want %d", n, MaxPropertiesSize+1)
	}
	err := Validate(over)
	var ve *ValidationError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &ve) || ve.Path != "" {
		t.Fatalf("Validate(32769) = %v, want root *ValidationError matching ErrTooLarge", err)
	}
	if err := CheckSize(over); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("CheckSize(32769) = %v, want ErrTooLarge", err)
	}
	if err := CheckSize(ok); err != nil {
		t.Fatalf("CheckSize(32768) = %v", err)
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want int
	}{
		{name: "empty", doc: `{}`, want: 0},
		{name: "number counts 8", doc: `{"a":1}`, want: 1 + 8},
		{name: "big number counts 8", doc: `{"a":-4503599627370496.123e10}`, want: 1 + 8},
		{name: "true counts 4", doc: `{"a":true}`, want: 1 + 4},
		{name: "false counts 4", doc: `{"a":false}`, want: 1 + 4},
		{name: "string bytes", doc: `{"ab":"xyz"}`, want: 2 + 3},
		{name: "multibyte string bytes", doc: `{"é":"€"}`, want: 2 + 3},
		{name: "control characters not counted", doc: `{"a\u0001":"x\ty\u0085"}`, want: 1 + 2},
		{name: "nested object", doc: `{"d":{"e":"f","g":{"h":true}}}`, want: 1 + (1 + 1) + (1 + (1 + 4))},
		{name: "array sums elements", doc: `{"arr":[1,"ab",{"k":"v"}]}`, want: 3 + 8 + 2 + 2},
		{name: "null member not counted", doc: `{"gone":null,"a":"b"}`, want: 2},
		{name: "service members not counted", doc: `{"$version":5,"$metadata":{"$lastUpdated":"2024"},"a":"b"}`, want: 2},
	}
	for _, tt := range tests {
		doc, err := DecodeObject([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := Size(doc); got != tt.want {
			t.Errorf("%s: Size(%s) = %d, want %d", tt.name, tt.doc, got, tt.want)
		}
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := Validate(map[string]any{"a": map[string]any{"b c": true}})
	want := `twindoc: invalid properties at "/a/b c": key contains ' '`
	if err == nil || err.Error() != want {
		t.Fatalf("Error() = %v, want %s", err, want)
	}
	err = CheckSize(sizedDoc(1))
	if want := `twindoc: invalid properties at "/": size 32769 exceeds 32768`; err == nil || err.Error() != want {
		t.Fatalf("Error() = %v, want %s", err, want)
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	doc := map[string]any{"a": []any{json.Number("1")}, "b": map[string]any{"c": "d"}}
	before := fmt.Sprint(doc)
	_ = Validate(doc)
	if after := fmt.Sprint(doc); after != before {
		t.Fatalf("Validate modified doc: %s -> %s", before, after)
	}
}
