package benchmark_test

import (
	"testing"
	"time"
)

// cpuClock measures the CPU time (user and system) this process spends
// while a benchmark runs: on a machine shared with other work it is less
// disturbed than the wall clock, so it shows tether's overhead when the
// throughput figures are noisy. (It counts the in-process broker too, the
// same for both sides.)
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPUClock() cpuClock {
	t, ok := processCPU()
	return cpuClock{start: t, ok: ok}
}

// report adds the CPU time per iteration as the "cpu-ns/op" metric, where
// the platform tells it.
func (c cpuClock) report(b *testing.B) {
	if t, ok := processCPU(); ok && c.ok {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}
