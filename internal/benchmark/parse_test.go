package benchmark_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/benchmark"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want benchmark.Result
		ok   bool
	}{
		{
			line: "BenchmarkPublish/broker=mqttxtest/qos=0/size=64/client=tether-2   \t   20000\t      5123 ns/op\t  12.49 MB/s\t      96 B/op\t       2 allocs/op",
			want: benchmark.Result{Name: "BenchmarkPublish/broker=mqttxtest/qos=0/size=64/client=tether", Procs: 2, N: 20000,
				Metrics: map[string]float64{"ns/op": 5123, "MB/s": 12.49, "B/op": 96, "allocs/op": 2}},
			ok: true,
		},
		{
			line: "BenchmarkHeapPerDevice/client=paho-8 1 2.5e+09 ns/op 20480 heapB/device 7.000 goroutines/device",
			want: benchmark.Result{Name: "BenchmarkHeapPerDevice/client=paho", Procs: 8, N: 1,
				Metrics: map[string]float64{"ns/op": 2.5e9, "heapB/device": 20480, "goroutines/device": 7}},
			ok: true,
		},
		{
			line: "BenchmarkDedupHit 1000000 45.1 ns/op 0 B/op 0 allocs/op",
			want: benchmark.Result{Name: "BenchmarkDedupHit", Procs: 1, N: 1000000,
				Metrics: map[string]float64{"ns/op": 45.1, "B/op": 0, "allocs/op": 0}},
			ok: true,
		},
		{line: "BenchmarkTopic/name-with-dash-x-2 10 1 ns/op", ok: true,
			want: benchmark.Result{Name: "BenchmarkTopic/name-with-dash-x", Procs: 2, N: 10, Metrics: map[string]float64{"ns/op": 1}}},
		{line: "goos: linux"},
		{line: "PASS"},
		{line: "ok  \tgithub.com/tether-iot/tether/command\t1.2s"},
		{line: "BenchmarkX-2 --- FAIL: broken"},
		{line: "BenchmarkX-2 10 abc ns/op"},
		{line: "BenchmarkX-2 10 5 ns/op 3"},
		{line: "    publish_test.go:42: BenchmarkX 10 5 ns/op"},
	}
	for _, tt := range tests {
		got, ok := benchmark.ParseLine(tt.line)
		if ok != tt.ok {
			t.Errorf("ParseLine(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if ok && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseAndSummarize(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/tether-iot/tether/internal/benchmark
cpu: AMD EPYC
BenchmarkTopicAWS/AppendAWS-2   	 1000000	        30.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkTopicAWS/AppendAWS-2   	 1000000	        10.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkTopicAWS/AppendAWS-2   	 1000000	        20.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkTopicAWS/AppendAWS-2   	 1000000	        40.0 ns/op	       0 B/op	       0 allocs/op
PASS
ok  	github.com/tether-iot/tether/internal/benchmark	3.1s
`
	results, err := benchmark.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("Parse found %d results, want 4", len(results))
	}
	runs := benchmark.Runs{}
	runs.Add(results...)
	const name = "BenchmarkTopicAWS/AppendAWS"
	if got := runs.Names(); !reflect.DeepEqual(got, []string{name}) {
		t.Fatalf("Names() = %q", got)
	}
	check := func(what string, f func(string, string) (float64, bool), want float64) {
		t.Helper()
		if got, ok := f(name, "ns/op"); !ok || got != want {
			t.Errorf("%s = %v, %v; want %v", what, got, ok, want)
		}
	}
	check("Min", runs.Min, 10)
	check("Max", runs.Max, 40)
	check("Median", runs.Median, 25)
	if _, ok := runs.Median(name, "MB/s"); ok {
		t.Error("Median of a unit no run reported: ok = true")
	}
	if _, ok := runs.Min("BenchmarkMissing", "ns/op"); ok {
		t.Error("Min of an unknown benchmark: ok = true")
	}
}

func TestPairedRatioPairsRunsByRound(t *testing.T) {
	runs := benchmark.Runs{}
	// Round 2 is disturbed for both; the best times alone would pair
	// tether's round 1 with paho's round 3.
	for _, ns := range [][2]float64{{100, 90}, {300, 280}, {110, 80}} {
		runs.Add(benchmark.Result{Name: "X/client=tether", Metrics: map[string]float64{"ns/op": ns[0]}},
			benchmark.Result{Name: "X/client=paho", Metrics: map[string]float64{"ns/op": ns[1]}})
	}
	got, ok := runs.PairedRatio("X/client=paho", "X/client=tether", "ns/op")
	// Per round: 0.9, 0.933, 0.727; median 0.9.
	if !ok || got != 0.9 {
		t.Errorf("PairedRatio = %v, %v; want 0.9, true", got, ok)
	}
	runs.Add(benchmark.Result{Name: "X/client=paho", Metrics: map[string]float64{"ns/op": 1}})
	if _, ok := runs.PairedRatio("X/client=paho", "X/client=tether", "ns/op"); ok {
		t.Error("PairedRatio with a round missing on one side: ok = true")
	}
}
