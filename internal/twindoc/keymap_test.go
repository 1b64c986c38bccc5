package twindoc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRemoveSpaces(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"fan":         "fan",
		"fan speed":   "fanspeed",
		" a  b ":      "ab",
		"tab\tstays":  "tab\tstays",
		"é ü":         "éü",
		"   ":         "",
		"no_space-at": "no_space-at",
	} {
		if got := RemoveSpaces(in); got != want {
			t.Errorf("RemoveSpaces(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMapKeys(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		mapKey  func(string) string
		want    string
		errPath string // non-empty: want ErrKeyCollision at this path
	}{
		{name: "default removes spaces", doc: `{"fan speed":{"max rpm":10},"ok":true}`,
			want: `{"fanspeed":{"maxrpm":10},"ok":true}`},
		{name: "inside arrays", doc: `{"list":[{"a b":1},"x y",[{"c d":null}]]}`,
			want: `{"list":[{"ab":1},"x y",[{"cd":null}]]}`},
		{name: "values untouched", doc: `{"k":"a b"}`, want: `{"k":"a b"}`},
		{name: "custom mapping", doc: `{"fan speed":1,"a":{"b c":2}}`, mapKey: func(k string) string { return strings.ReplaceAll(k, " ", "_") },
			want: `{"fan_speed":1,"a":{"b_c":2}}`},
		{name: "collision at root", doc: `{"a b":1,"ab":2}`, errPath: "/ab"},
		{name: "collision nested", doc: `{"x":{"y":[{"a b":1," ab":2}]}}`, errPath: "/x/y/0/ab"},
		{name: "custom collision", doc: `{"A":1,"a":2}`, mapKey: strings.ToLower, errPath: "/a"},
		{name: "same key in different objects is fine", doc: `{"a b":{"ab":1},"c":{"a b":2}}`,
			want: `{"ab":{"ab":1},"c":{"ab":2}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustDecode(t, tt.doc)
			got, err := MapKeys(doc, tt.mapKey)
			if tt.errPath != "" {
				var ve *ValidationError
				if !errors.Is(err, ErrKeyCollision) || !errors.Is(err, ErrInvalidProperties) || !errors.As(err, &ve) || ve.Path != tt.errPath {
					t.Fatalf("MapKeys = %v, %v; want ErrKeyCollision at %s", got, err, tt.errPath)
				}
				if got != nil {
					t.Fatalf("MapKeys returned %v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := mustDecode(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Fatalf("MapKeys = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(doc, mustDecode(t, tt.doc)) {
				t.Fatal("MapKeys modified its argument")
			}
		})
	}
}

func TestMapKeysCollisionMessage(t *testing.T) {
	_, err := MapKeys(map[string]any{"a b": 1, "ab": 2}, nil)
	want := `twindoc: invalid properties at "/ab": keys "a b" and "ab" both map to "ab"`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestMapKeysNil(t *testing.T) {
	got, err := MapKeys(nil, nil)
	if got != nil || err != nil {
		t.Fatalf("MapKeys(nil) = %v, %v", got, err)
	}
}

func TestMapKeysThenValidate(t *testing.T) {
	doc := mustDecode(t, `{"fan speed":3}`)
	if err := Validate(doc); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Validate(unmapped) = %v, want ErrInvalidKey", err)
	}
	mapped, err := MapKeys(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(mapped); err != nil {
		t.Fatalf("Validate(mapped) = %v", err)
	}
}
