package twin_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tether-iot/tether/twin"
)

// nested returns an object nested depth levels deep.
func nested(depth int) map[string]any {
	m := map[string]any{"leaf": 1}
	for i := 1; i < depth; i++ {
		m = map[string]any{"n": m}
	}
	return m
}

func TestLocalValidationRefusesBeforeSending(t *testing.T) {
	big := map[string]any{}
	for i := 0; i < 9; i++ {
		big[string(rune('a'+i))] = strings.Repeat("x", 4000)
	}
	tests := []struct {
		name  string
		patch map[string]any
		want  error
		path  string // the *ValidationError's Path; "-" when there is none
	}{
		{"nil patch", nil, twin.ErrInvalidPatch, "-"},
		{"space in key", map[string]any{"fan speed": 1}, twin.ErrInvalidKey, "/fan speed"},
		{"dot in key", map[string]any{"a": map[string]any{"b.c": 1}}, twin.ErrInvalidKey, "/a/b.c"},
		{"dollar in key", map[string]any{"$version": 1}, twin.ErrInvalidKey, "/$version"},
		{"control character in key", map[string]any{"a\x01": 1}, twin.ErrInvalidKey, "/a\x01"},
		{"key too long", map[string]any{strings.Repeat("k", 1025): 1}, twin.ErrInvalidKey, "/" + strings.Repeat("k", 1025)},
		{"too deep", map[string]any{"root": nested(11)}, twin.ErrTooDeep, "/root" + strings.Repeat("/n", 10)},
		{"string too long", map[string]any{"s": strings.Repeat("x", 4097)}, twin.ErrStringTooLong, "/s"},
		{"integer too large", map[string]any{"n": int64(1) << 52}, twin.ErrIntegerOutOfRange, "/n"},
		{"integer too small", map[string]any{"n": -(int64(1) << 52) - 1}, twin.ErrIntegerOutOfRange, "/n"},
		{"null in array", map[string]any{"a": []any{1, nil}}, twin.ErrNullInArray, "/a/1"},
		{"patch too large", big, twin.ErrTooLarge, ""},
		{"unencodable value", map[string]any{"f": math.Inf(1)}, twin.ErrInvalidPatch, "-"},
		{"unencodable type", map[string]any{"c": make(chan int)}, twin.ErrInvalidPatch, "-"},
	}
	e := newEnv(t)
	c, _ := e.startSynced()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateReported(t.Context(), tt.patch)
			if !errors.Is(err, twin.ErrInvalidPatch) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want ErrInvalidPatch and %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "twin: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			var ve *twin.ValidationError
			if got := errors.As(err, &ve); got != (tt.path != "-") || got && ve.Path != tt.path {
				t.Fatalf("ValidationError = %v (%v), want path %q", ve, got, tt.path)
			}
		})
	}
	if n := len(e.ft.requests(patchPrefix)); n != 0 {
		t.Fatalf("%d patches sent, want none", n)
	}
	// The limits themselves are accepted.
	ok := map[string]any{
		"root": nested(10), "s": strings.Repeat("x", 4096), "max": int64(1)<<52 - 1, "min": -(int64(1) << 52),
		strings.Repeat("k", 1024): true,
	}
	if _, err := c.UpdateReported(t.Context(), ok); err != nil {
		t.Fatalf("patch at the limits: %v", err)
	}
}

// The hub limits the reported properties once merged: the client refuses a
// patch that would break that, by what it knows of them.
func TestMergedSizeRefusedBeforeSending(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		if _, err := c.UpdateReported(t.Context(), map[string]any{k: strings.Repeat("x", 4000)}); err != nil {
			t.Fatal(err)
		}
	}
	sent := len(e.ft.requests(patchPrefix))
	_, err := c.UpdateReported(t.Context(), map[string]any{"h": strings.Repeat("x", 4000), "i": strings.Repeat("x", 4000)})
	if !errors.Is(err, twin.ErrTooLarge) || !errors.Is(err, twin.ErrInvalidPatch) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if n := len(e.ft.requests(patchPrefix)); n != sent {
		t.Fatalf("the refused patch was sent")
	}
	// Deleting makes room again.
	if _, err := c.UpdateReported(t.Context(), map[string]any{"a": nil, "b": nil, "h": strings.Repeat("x", 4000)}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyMapping(t *testing.T) {
	type reading struct {
		Fan  int    `json:"fan speed"`
		Mode string `json:"mode name"`
	}
	tests := []struct {
		name    string
		opt     twin.Option
		patch   map[string]any
		want    string // reported properties at the hub
		wantErr error
	}{
		{"default removes spaces", twin.WithKeyMapping(nil),
			map[string]any{"fan speed": 3, "net": map[string]any{"sim slot": 1, "list": []any{map[string]any{"a b": true}}}},
			`{"fanspeed":3,"net":{"list":[{"ab":true}],"simslot":1}}`, nil},
		{"struct tags are mapped too", twin.WithKeyMapping(nil),
			map[string]any{"r": reading{Fan: 2, Mode: "eco"}},
			`{"r":{"fanspeed":2,"modename":"eco"}}`, nil},
		{"custom mapping", twin.WithKeyMapping(func(k string) string { return strings.ReplaceAll(k, " ", "_") }),
			map[string]any{"fan speed": 3},
			`{"fan_speed":3}`, nil},
		{"collision", twin.WithKeyMapping(nil),
			map[string]any{"fan speed": 1, "fanspeed": 2},
			"", twin.ErrKeyCollision},
		{"mapping cannot fix a dot", twin.WithKeyMapping(nil),
			map[string]any{"a.b": 1},
			"", twin.ErrInvalidKey},
		{"no mapping by default", nil,
			map[string]any{"fan speed": 1},
			"", twin.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var opts []twin.Option
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			c, _ := e.startSynced(opts...)
			_, err := c.UpdateReported(t.Context(), tt.patch)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, twin.ErrInvalidPatch) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if n := len(e.ft.requests(patchPrefix)); n != 0 {
					t.Fatalf("%d patches sent", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tw, _ := e.svc.Twin(device)
			if got := js(tw.Reported.Values); got != tt.want {
				t.Fatalf("reported = %s, want %s", got, tt.want)
			}
		})
	}
}

// The mapping is for reported patches only: desired keys reach the
// application as the hub holds them.
func TestKeyMappingLeavesDesiredAlone(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"fan_speed": 1})
	_, p := e.startSynced(twin.WithKeyMapping(func(k string) string { return strings.ToUpper(k) }))
	wantPatch(t, p, 2, `{"fan_speed":1}`, `{"fan_speed":1}`, true)
}
