package twindoc

import (
	"math"
	"testing"
)

func TestDecideDesired(t *testing.T) {
	tests := []struct {
		applied, patch int64
		want           PatchAction
	}{
		{applied: 5, patch: 6, want: PatchApply},
		{applied: 5, patch: 5, want: PatchIgnore},
		{applied: 5, patch: 4, want: PatchIgnore},
		{applied: 5, patch: 0, want: PatchIgnore},
		{applied: 5, patch: 7, want: PatchResync},
		{applied: 5, patch: math.MaxInt64, want: PatchResync},
		{applied: 0, patch: 1, want: PatchApply},
		{applied: math.MaxInt64 - 1, patch: math.MaxInt64, want: PatchApply},
		{applied: math.MaxInt64, patch: math.MaxInt64, want: PatchIgnore},
		{applied: math.MinInt64, patch: math.MaxInt64, want: PatchResync},
	}
	for _, tt := range tests {
		if got := DecideDesired(tt.applied, tt.patch); got != tt.want {
			t.Errorf("DecideDesired(%d, %d) = %v, want %v", tt.applied, tt.patch, got, tt.want)
		}
	}
}

func TestPatchActionString(t *testing.T) {
	for a, want := range map[PatchAction]string{PatchApply: "apply", PatchIgnore: "ignore", PatchResync: "resync", 0: "PatchAction(0)"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(a), got, want)
		}
	}
}
