package shadowdoc

import "testing"

func TestVersionsCheckDocument(t *testing.T) {
	tests := []struct {
		state, v int64
		want     Decision
	}{
		{0, 1, Apply},
		{0, 7, Apply}, // a full document fills any gap
		{5, 9, Apply},
		{5, 5, Ignore},
		{5, 4, Ignore},
		{5, 0, Ignore},
	}
	for _, tt := range tests {
		if got := (Versions{State: tt.state}).CheckDocument(tt.v); got != tt.want {
			t.Errorf("State %d, document %d: %v, want %v", tt.state, tt.v, got, tt.want)
		}
	}
}

func TestVersionsCheckUpdate(t *testing.T) {
	tests := []struct {
		state, v int64
		want     Decision
	}{
		{0, 1, Apply}, // first update of a new shadow applies onto the empty state
		{0, 2, Resync},
		{5, 6, Apply},
		{5, 5, Ignore}, // duplicate
		{5, 3, Ignore}, // out of order, older
		{5, 7, Resync}, // 6 was missed
		{5, 100, Resync},
	}
	for _, tt := range tests {
		if got := (Versions{State: tt.state}).CheckUpdate(tt.v); got != tt.want {
			t.Errorf("State %d, update %d: %v, want %v", tt.state, tt.v, got, tt.want)
		}
	}
}

func TestVersionsCheckDelta(t *testing.T) {
	tests := []struct {
		name         string
		state, delta int64
		v            int64
		want         Decision
	}{
		{"delta of the update just applied", 7, 6, 7, Apply},
		{"same delta again", 7, 7, 7, Ignore},
		{"delta overtook its update/accepted", 6, 6, 7, Apply},
		{"delta for a version already superseded", 8, 6, 7, Ignore},
		{"older delta after a newer one", 9, 9, 8, Ignore},
		{"versions missed", 5, 5, 7, Resync},
		{"fresh device, first delta", 0, 0, 1, Apply},
		{"fresh device, later delta", 0, 0, 12, Resync},
		{"delta of a get/accepted just applied", 12, 3, 12, Apply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Versions{State: tt.state, Delta: tt.delta}).CheckDelta(tt.v); got != tt.want {
				t.Errorf("State %d Delta %d, delta %d: %v, want %v", tt.state, tt.delta, tt.v, got, tt.want)
			}
		})
	}
}

// TestVersionsBothOrders plays update/accepted and update/delta of the same
// version in both arrival orders: each is applied exactly once.
func TestVersionsBothOrders(t *testing.T) {
	for _, deltaFirst := range []bool{false, true} {
		vs := Versions{State: 6, Delta: 6}
		appliedUpdate, deliveredDelta := 0, 0
		update := func() {
			if vs.CheckUpdate(7) == Apply {
				appliedUpdate++
				vs.State = 7
			}
		}
		delta := func() {
			if vs.CheckDelta(7) == Apply {
				deliveredDelta++
				vs.Delta = 7
			}
		}
		if deltaFirst {
			delta()
			update()
		} else {
			update()
			delta()
		}
		// Redeliveries (QoS 1 duplicates) change nothing.
		update()
		delta()
		if appliedUpdate != 1 || deliveredDelta != 1 {
			t.Errorf("deltaFirst=%v: update applied %d times, delta delivered %d times", deltaFirst, appliedUpdate, deliveredDelta)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Ignore: "ignore", Apply: "apply", Resync: "resync", Decision(9): "Decision(?)"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), want)
		}
	}
}
