package shadowdoc

import (
	"testing"
)

// obj decodes a JSON object literal the way the package does (UseNumber).
// "null" gives nil.
func obj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := decode([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// js encodes v compactly with sorted keys.
func js(t testing.TB, v any) string {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return string(b)
}

// canon re-encodes a JSON literal so it can be compared with js output.
func canon(t testing.TB, s string) string {
	t.Helper()
	var v any
	if err := decode([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return js(t, v)
}
