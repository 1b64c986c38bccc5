package benchmark_test

import (
	"fmt"
	"strings"

	"github.com/tether-iot/tether/internal/benchmark"
)

// Parse reads `go test -bench -benchmem` output; Runs summarizes repeated
// runs of the same benchmark.
func ExampleParse() {
	out := `BenchmarkDedupHit-2   	20000000	        61.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDedupHit-2   	20000000	        58.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkDedupHit-2   	20000000	        75.2 ns/op	       0 B/op	       0 allocs/op
PASS`
	results, err := benchmark.Parse(strings.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	runs := benchmark.Runs{}
	runs.Add(results...)
	best, _ := runs.Min("BenchmarkDedupHit", "ns/op")
	median, _ := runs.Median("BenchmarkDedupHit", "ns/op")
	allocs, _ := runs.Max("BenchmarkDedupHit", "allocs/op")
	fmt.Printf("%d runs, best %.1f ns/op, median %.1f ns/op, at most %.0f allocs/op\n", len(results), best, median, allocs)
	// Output: 3 runs, best 58.5 ns/op, median 61.0 ns/op, at most 0 allocs/op
}
