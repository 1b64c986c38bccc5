package smallmap

import (
	"fmt"
	"testing"
)

func TestMapBehavesLikeAMap(t *testing.T) {
	var m Map[int]
	ref := map[string]int{}
	keys := []string{"a", "b/+", "c/#", "a", "d", "b/+", "e"}
	for step, k := range keys {
		switch step % 3 {
		case 0, 1:
			m.Set(k, step)
			ref[k] = step
		case 2:
			got, ok := m.Delete(k)
			want, wok := ref[k]
			delete(ref, k)
			if ok != wok || got != want {
				t.Fatalf("Delete(%q) = %d, %v; want %d, %v", k, got, ok, want, wok)
			}
		}
		if m.Len() != len(ref) {
			t.Fatalf("step %d: Len = %d, want %d", step, m.Len(), len(ref))
		}
		for k, want := range ref {
			if got, ok := m.Get(k); !ok || got != want {
				t.Fatalf("step %d: Get(%q) = %d, %v; want %d", step, k, got, ok, want)
			}
		}
		seen := 0
		for k, v := range m.All() {
			if ref[k] != v {
				t.Fatalf("All yielded %q=%d, want %d", k, v, ref[k])
			}
			seen++
		}
		if seen != len(ref) {
			t.Fatalf("All yielded %d entries, want %d", seen, len(ref))
		}
	}
	if _, ok := m.Get("zz"); ok {
		t.Fatal("Get of a missing key reported present")
	}
	m.Clear()
	if m.Len() != 0 {
		t.Fatal("Clear left entries")
	}
}

func TestInsertionOrderAndReplace(t *testing.T) {
	var m Map[string]
	for _, k := range []string{"x", "y", "z"} {
		m.Set(k, k+"1")
	}
	m.Set("x", "x2") // replaced in place
	m.Delete("y")
	var got []string
	for k, v := range m.All() {
		got = append(got, k+"="+v)
	}
	if fmt.Sprint(got) != "[x=x2 z=z1]" {
		t.Fatalf("All = %v, want [x=x2 z=z1]", got)
	}
}

func TestDeleteReleasesTheValue(t *testing.T) {
	var m Map[*int]
	a, b := new(int), new(int)
	m.Set("a", a)
	m.Set("b", b)
	m.Delete("b")
	if spare := m.entries[:2][1]; spare.val != nil || spare.key != "" {
		t.Fatal("the deleted entry is still referenced from the spare slot")
	}
	m.Delete("a")
	if m.entries != nil {
		t.Fatal("an empty map keeps its slice")
	}
}

func TestFirstEntryIsOneSlot(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var m Map[*int]
		m.Set("devices/leaf-00001/messages/devicebound/#", nil)
	})
	if allocs != 1 {
		t.Fatalf("first Set made %v allocations, want 1", allocs)
	}
}
