package backoff

import (
	"math"
	"testing"
	"time"
)

func TestCeiling(t *testing.T) {
	tests := []struct {
		name    string
		p       Policy
		attempt int
		want    time.Duration
	}{
		{"defaults attempt 1", Policy{}, 1, time.Second},
		{"defaults attempt 0 treated as 1", Policy{}, 0, time.Second},
		{"defaults negative attempt", Policy{}, -5, time.Second},
		{"defaults attempt 2", Policy{}, 2, 2 * time.Second},
		{"defaults attempt 7", Policy{}, 7, 64 * time.Second},
		{"defaults attempt 8 capped", Policy{}, 8, 120 * time.Second},
		{"defaults huge attempt", Policy{}, math.MaxInt, 120 * time.Second},
		{"custom", Policy{Min: 100 * time.Millisecond, Max: time.Second}, 4, 800 * time.Millisecond},
		{"custom capped", Policy{Min: 100 * time.Millisecond, Max: time.Second}, 5, time.Second},
		{"max below min raised", Policy{Min: 5 * time.Second, Max: time.Second}, 3, 5 * time.Second},
		{"no overflow near MaxInt64", Policy{Min: time.Duration(math.MaxInt64 / 3), Max: time.Duration(math.MaxInt64)}, 3, time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Ceiling(tt.attempt); got != tt.want {
				t.Fatalf("Ceiling(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestDelayUsesInjectedRandomInclusiveRange(t *testing.T) {
	var gotN int64
	p := Policy{Min: time.Second, Max: 10 * time.Second, Rand: func(n int64) int64 { gotN = n; return n - 1 }}
	if d := p.Delay(3); d != 4*time.Second {
		t.Fatalf("Delay with max random = %v, want ceiling 4s", d)
	}
	if gotN != int64(4*time.Second)+1 {
		t.Fatalf("Rand called with n=%d, want ceiling+1 = %d", gotN, int64(4*time.Second)+1)
	}
	p.Rand = func(int64) int64 { return 0 }
	if d := p.Delay(3); d != 0 {
		t.Fatalf("Delay with zero random = %v, want 0", d)
	}
}

func TestDelayClampsMisbehavingRand(t *testing.T) {
	p := Policy{Rand: func(int64) int64 { return -1 }}
	if d := p.Delay(1); d != 0 {
		t.Fatalf("negative random: Delay = %v, want 0", d)
	}
	p.Rand = func(int64) int64 { return math.MaxInt64 }
	if d := p.Delay(1); d != DefaultMin {
		t.Fatalf("huge random: Delay = %v, want %v", d, DefaultMin)
	}
}

func TestDelayDefaultRandWithinBounds(t *testing.T) {
	p := Policy{Min: time.Millisecond, Max: 50 * time.Millisecond}
	for attempt := 1; attempt < 20; attempt++ {
		c := p.Ceiling(attempt)
		for i := 0; i < 100; i++ {
			if d := p.Delay(attempt); d < 0 || d > c {
				t.Fatalf("Delay(%d) = %v outside [0, %v]", attempt, d, c)
			}
		}
	}
}

func FuzzCeiling(f *testing.F) {
	f.Add(int64(time.Second), int64(120*time.Second), 3)
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(math.MaxInt64), int64(1), math.MaxInt)
	f.Fuzz(func(t *testing.T, lo, hi int64, attempt int) {
		p := Policy{Min: time.Duration(lo), Max: time.Duration(hi)}
		c := p.Ceiling(attempt)
		mn, mx := p.bounds()
		if c < mn || c > mx {
			t.Fatalf("Ceiling(%d) = %v outside [%v, %v]", attempt, c, mn, mx)
		}
		if next := p.Ceiling(attempt + 1); attempt < math.MaxInt && next < c {
			t.Fatalf("Ceiling not monotonic: %v then %v", c, next)
		}
	})
}
