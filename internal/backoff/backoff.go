package backoff

import (
	"math/rand/v2"
	"time"
)

// Defaults match the AWS IoT device SDK reconnect defaults.
const (
	DefaultMin        = time.Second       // ceiling of the first retry
	DefaultMax        = 120 * time.Second // largest ceiling
	DefaultResetAfter = 30 * time.Second  // connected this long, the attempt counter restarts
)

// Policy describes a full-jitter exponential backoff. The zero value uses the defaults.
// A Policy is safe for concurrent use if Rand is.
type Policy struct {
	Min time.Duration // ceiling for attempt 1; <= 0 means DefaultMin
	Max time.Duration // upper bound of every ceiling; <= 0 means DefaultMax; raised to Min if smaller
	// Rand returns a uniformly random integer in [0, n) for n > 0. nil means math/rand/v2.Int64N.
	Rand func(n int64) int64
}

func (p Policy) bounds() (lo, hi time.Duration) {
	lo, hi = p.Min, p.Max
	if lo <= 0 {
		lo = DefaultMin
	}
	if hi <= 0 {
		hi = DefaultMax
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Ceiling returns min(Max, Min*2^(attempt-1)), the largest delay before retry number attempt
// (attempt < 1 is treated as 1). It never overflows.
func (p Policy) Ceiling(attempt int) time.Duration {
	lo, hi := p.bounds()
	if attempt < 1 {
		attempt = 1
	}
	c := lo
	for i := 1; i < attempt; i++ {
		if c >= hi/2 { // doubling would reach or pass hi (and could overflow)
			return hi
		}
		c *= 2
	}
	return min(c, hi)
}

// Delay returns a uniformly random duration in [0, Ceiling(attempt)] (both ends inclusive).
func (p Policy) Delay(attempt int) time.Duration {
	ceiling := p.Ceiling(attempt)
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	n := int64(ceiling)
	if n < 1<<62 { // make the upper end inclusive without overflowing
		n++
	}
	d := time.Duration(rnd(n))
	// Guard against a misbehaving injected source.
	if d < 0 {
		return 0
	}
	if d > ceiling {
		return ceiling
	}
	return d
}
