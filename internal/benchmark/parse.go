package benchmark

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Result is one benchmark line of `go test -bench` output:
//
//	BenchmarkPublish/qos=0-2   20000   5123 ns/op   12.49 MB/s   96 B/op   2 allocs/op
type Result struct {
	// Name is the benchmark's full name without the GOMAXPROCS suffix.
	Name string
	// Procs is the GOMAXPROCS suffix (1 when the line has none).
	Procs int
	// N is the number of iterations.
	N int
	// Metrics holds every value by its unit: "ns/op", "B/op", "allocs/op",
	// "MB/s" and the benchmark's own (b.ReportMetric).
	Metrics map[string]float64
}

// ParseLine parses one line of benchmark output. ok is false for any other
// line (headers, PASS, logs).
func ParseLine(line string) (r Result, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
		return Result{}, false
	}
	n, err := strconv.Atoi(fields[1])
	if err != nil || n <= 0 {
		return Result{}, false
	}
	r = Result{Name: fields[0], Procs: 1, N: n, Metrics: make(map[string]float64, (len(fields)-2)/2)}
	if i := strings.LastIndexByte(r.Name, '-'); i > 0 {
		if p, err := strconv.Atoi(r.Name[i+1:]); err == nil && p > 0 {
			r.Name, r.Procs = r.Name[:i], p
		}
	}
	for i := 2; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return Result{}, false
		}
		r.Metrics[fields[i+1]] = v
	}
	return r, true
}

// Parse returns the benchmark results in r, in order. Other lines are
// skipped.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if res, ok := ParseLine(sc.Text()); ok {
			out = append(out, res)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("benchmark: reading results: %w", err)
	}
	return out, nil
}

// Runs collects the results of repeated runs, by benchmark name.
type Runs map[string][]Result

// Add records results.
func (rs Runs) Add(results ...Result) {
	for _, r := range results {
		rs[r.Name] = append(rs[r.Name], r)
	}
}

// Values returns the values of unit over the runs of name, sorted
// ascending.
func (rs Runs) Values(name, unit string) []float64 {
	var vs []float64
	for _, r := range rs[name] {
		if v, ok := r.Metrics[unit]; ok {
			vs = append(vs, v)
		}
	}
	sort.Float64s(vs)
	return vs
}

// Min returns the smallest value of unit over the runs of name: for a time,
// the run the machine's other load disturbed least.
func (rs Runs) Min(name, unit string) (float64, bool) {
	vs := rs.Values(name, unit)
	if len(vs) == 0 {
		return 0, false
	}
	return vs[0], true
}

// Max returns the largest value of unit over the runs of name.
func (rs Runs) Max(name, unit string) (float64, bool) {
	vs := rs.Values(name, unit)
	if len(vs) == 0 {
		return 0, false
	}
	return vs[len(vs)-1], true
}

// Median returns the median value of unit over the runs of name.
func (rs Runs) Median(name, unit string) (float64, bool) {
	return median(rs.Values(name, unit))
}

// PairedRatio returns the median over rounds of num's value of unit
// divided by den's in the same round: the i-th runs of the two names,
// measured moments apart, make a pair. A round that disturbed both alike
// cancels out, which the ratio of the two best rounds does not do. It
// reports false unless both have the value in every round.
func (rs Runs) PairedRatio(num, den, unit string) (float64, bool) {
	a, b := rs[num], rs[den]
	if len(a) == 0 || len(a) != len(b) {
		return 0, false
	}
	ratios := make([]float64, len(a))
	for i := range a {
		x, okX := a[i].Metrics[unit]
		y, okY := b[i].Metrics[unit]
		if !okX || !okY || y == 0 {
			return 0, false
		}
		ratios[i] = x / y
	}
	sort.Float64s(ratios)
	return median(ratios)
}

// median returns the median of vs, sorted ascending.
func median(vs []float64) (float64, bool) {
	switch n := len(vs); {
	case n == 0:
		return 0, false
	case n%2 == 1:
		return vs[n/2], true
	default:
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
}

// Names returns the benchmark names, sorted.
func (rs Runs) Names() []string {
	names := make([]string, 0, len(rs))
	for n := range rs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
