package main

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/benchmark"
)

// sampleOutput is benchmark output as the test binaries print it.
const sampleOutput = `goos: linux
goarch: arm64
BenchmarkPublish/broker=mqttxtest/qos=0/size=64/client=tether-2   4000   10000 ns/op   6.40 MB/s   20000 cpu-ns/op   100 B/op   3 allocs/op
BenchmarkPublish/broker=mqttxtest/qos=0/size=64/client=paho-2     4000    9800 ns/op   6.53 MB/s   18000 cpu-ns/op    90 B/op   2 allocs/op
BenchmarkPublish/broker=mqttxtest/qos=1/size=64/client=tether-2   4000   50000 ns/op   1.28 MB/s   100 B/op   3 allocs/op
BenchmarkPublish/broker=mqttxtest/qos=1/size=64/client=paho-2     4000   40000 ns/op   1.60 MB/s    90 B/op   2 allocs/op
BenchmarkPublish/broker=mqttxtest/qos=1/size=64/client=tether-direct-2   4000   41000 ns/op   1.56 MB/s    90 B/op   2 allocs/op
BenchmarkCommandRoundTrip/client=tether-2   1500   160000 ns/op
BenchmarkCommandRoundTrip/client=paho-2     1500   150000 ns/op
BenchmarkTopicAWS/AppendAWS-2   10000000   6.5 ns/op   0 B/op   0 allocs/op
BenchmarkTopicAzure/subtopic-2   1000000   300 ns/op   64 B/op   2 allocs/op
BenchmarkDedupHit-2   10000000   45 ns/op   0 B/op   0 allocs/op
BenchmarkHeapPerDevice/client=tether-2   1   1e9 ns/op   13 goroutines/device   12000 heapB/device
BenchmarkHeapPerDevice/client=paho-2     1   1e9 ns/op   10 goroutines/device   10000 heapB/device
--- SKIP: BenchmarkPublish/broker=mosquitto/qos=0/size=64/client=tether
    mosquittotest.go:264: mosquittotest: mosquitto not found: apt-get install mosquitto
PASS
`

func TestReportEvaluatesBudgets(t *testing.T) {
	results, err := benchmark.Parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	runs := benchmark.Runs{}
	runs.Add(results...)
	r := buildReport(runs, binarySizes{device: 6_200_000, raw: 5_800_000,
		layers: []layerSize{{layer: "raw paho publisher on mqttx.Client", bytes: 5_950_000}}})
	got := map[string]string{}
	for _, row := range r.rows {
		got[row.check] = row.result
	}
	want := map[string]string{
		"publish QoS 0, 64 B, mqttxtest":             resultPass, // 9800/10000 = 0.98
		"publish QoS 1, 64 B, mqttxtest":             resultMiss, // 0.80
		"publish QoS 0, 4 KiB, mqttxtest":            resultMissing,
		"publish QoS 0, 64 B, mosquitto":             resultMissing,
		"command round trip (mqttxtest)":             resultPass, // 1.067
		"canonical→AWS topic (Topics.AppendAWS)":     resultPass,
		"canonical→Azure topic (D2CTopic, subtopic)": resultMiss, // 2 allocs
		"dedup lookup, hit":                          resultPass,
		"device binary (examples/device, emulators left out), stripped, linux/arm GOARM=7": resultMiss, // 6.2 MB
		"shadow delta (thermostat document)":                                               resultMissing,
		"heap per device, 1,000 devices (transport.Conn, plain adapter)":                   resultPass, // 1.2
	}
	for check, w := range want {
		if got[check] != w {
			t.Errorf("%q: result %q, want %q", check, got[check], w)
		}
	}
	if n := r.missed(); n != 3 {
		t.Errorf("missed() = %d, want 3", n)
	}

	r.rounds, r.devices = 5, 1000
	var out bytes.Buffer
	r.write(&out)
	for _, s := range []string{
		"| publish QoS 0, 64 B, mqttxtest | 100.0k msg/s (10.0 µs) | 102.0k msg/s (9.8 µs) | 0.980 (best rounds 0.980, CPU 0.900) | ≥ 0.95 | **PASS** |",
		"| device binary (examples/device, emulators left out), stripped, linux/arm GOARM=7 | 6.20 MB | 5.80 MB | 1.07× | ≤ 6.1 MB | **MISS** |",
		"| HeapPerDevice/client=tether | 1 |",
		"| raw paho publisher on mqttx.Client, stripped, linux/arm GOARM=7 | 5.95 MB | 5.80 MB | 1.03× | — | info |",
		"| publish QoS 1, 64 B, mqttxtest, SendDirect (no outbox) | 24.4k msg/s (41.0 µs) | 25.0k msg/s (40.0 µs) | 0.976 (best rounds 0.976) | — | info |",
		"13 goroutines/device",
		"Heap per device: 1,000 devices connected at once; each client kind (transport.Conn, mqttx.Client, raw paho) in its own fresh process, once per round, against a broker in another process; runtime.MemStats.HeapInuse after GC, growth per device, median of the 5 rounds.",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

func TestSkips(t *testing.T) {
	got := skips(sampleOutput)
	want := []string{"BenchmarkPublish/broker=mosquitto/qos=0/size=64/client=tether skipped: mosquittotest: mosquitto not found: apt-get install mosquitto"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("skips = %q, want %q", got, want)
	}
}

func TestSymbolPackage(t *testing.T) {
	tests := []struct{ sym, want string }{
		{"github.com/tether-iot/tether/mqttx.(*Client).Publish", "github.com/tether-iot/tether/mqttx"},
		{"github.com/eclipse/paho%2emqtt%2egolang.(*client).Connect", "github.com/eclipse/paho.mqtt.golang"},
		{"encoding/json.(*decodeState).object", "encoding/json"},
		{"runtime.mallocgc", "runtime"},
		{"slices.pdqsortOrdered[go.shape.string]", "slices"},
		{"go:func.*", "go:func"},
		{"main.main", "main"},
	}
	for _, tt := range tests {
		if got := symbolPackage(tt.sym); got != tt.want {
			t.Errorf("symbolPackage(%q) = %q, want %q", tt.sym, got, tt.want)
		}
	}
}

func TestSizeDifference(t *testing.T) {
	dev := map[string]int64{"runtime": 100, "a": 50, "b": 70, "c": 5}
	raw := map[string]int64{"runtime": 90, "a": 60, "c": 5}
	got := sizeDifference(dev, raw)
	want := []packageSize{{"b", 70}, {"runtime", 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sizeDifference = %v, want %v", got, want)
	}
}

func TestFormats(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{duration(6.5), "6.5 ns"},
		{duration(13000), "13.0 µs"},
		{duration(2.5e6), "2.50 ms"},
		{rate(20000), "50.0k msg/s (20.0 µs)"},
		{kib(14336), "14.0 KiB"},
		{megabytes(7012514), "7.01 MB"},
		{sizeName(4096), "4 KiB"},
		{sizeName(64), "64 B"},
		{fmt.Sprint(trimFloat(3)), "3"},
		{thousands(1000), "1,000"},
		{thousands(999), "999"},
		{thousands(1234567), "1,234,567"},
		{thousands(-1000), "-1,000"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// The command budget holds the median of the per-round ratios, not the
// ratio of the two best rounds: here paho's best round is an outlier that
// the best-rounds ratio (1.25) would hold against tether.
func TestCommandBudgetHoldsThePairedRatio(t *testing.T) {
	runs := benchmark.Runs{}
	for _, ns := range [][2]float64{{100e3, 80e3}, {105e3, 100e3}, {110e3, 105e3}} {
		runs.Add(benchmark.Result{Name: fmt.Sprintf(benchCommand, "tether"), Metrics: map[string]float64{"ns/op": ns[0]}},
			benchmark.Result{Name: fmt.Sprintf(benchCommand, "paho"), Metrics: map[string]float64{"ns/op": ns[1]}})
	}
	r := buildReport(runs, binarySizes{})
	for _, row := range r.rows {
		if row.check != "command round trip (mqttxtest)" {
			continue
		}
		// Per round 1.25, 1.05, 1.048: median 1.05, within 1.10.
		if row.result != resultPass || !strings.HasPrefix(row.ratio, "1.050× (best rounds 1.250") {
			t.Fatalf("command row = %+v, want ratio 1.050× (best rounds 1.250) and PASS", row)
		}
		return
	}
	t.Fatal("no command row")
}
