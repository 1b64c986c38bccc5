package main

import (
	"slices"
	"testing"
)

// The clients of an alternating group run in reverse order in even rounds
// only, so that each runs first in half the rounds; other groups never.
func TestGroupArgsAlternateTheClientOrder(t *testing.T) {
	alternating := group{bench: "^BenchmarkPublish$", benchtime: "10x", alternate: true}
	fixed := group{bench: "^BenchmarkHeapPerDevice$", benchtime: "1x", extra: []string{"-devices", "10"}}
	for _, tc := range []struct {
		g       group
		round   int
		reverse bool
	}{
		{alternating, 1, false}, {alternating, 2, true}, {alternating, 3, false}, {alternating, 6, true},
		{fixed, 1, false}, {fixed, 2, false},
	} {
		args := tc.g.args(tc.round)
		if got := slices.Contains(args, "-clients.reverse"); got != tc.reverse {
			t.Errorf("%s round %d: -clients.reverse given = %v, want %v (%q)", tc.g.bench, tc.round, got, tc.reverse, args)
		}
		if !slices.Contains(args, tc.g.bench) || !slices.Contains(args, tc.g.benchtime) {
			t.Errorf("%s round %d: args %q lack the pattern or the benchtime", tc.g.bench, tc.round, args)
		}
	}
	if args := fixed.args(1); !slices.Equal(args[len(args)-2:], []string{"-devices", "10"}) {
		t.Errorf("fixed group's args %q do not end with its extra arguments", args)
	}
}
