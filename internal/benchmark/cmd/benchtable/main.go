// Command benchtable runs tether's benchmarks against raw paho, builds the
// device binaries, and prints one Markdown table: figures, ratios, budget
// and PASS/MISS for every performance budget, then the details.
//
// Run it from the module root:
//
//	go run ./internal/benchmark/cmd/benchtable
//
// It compiles the test binaries of internal/benchmark and command once
// (go test -c), then runs their benchmarks (-test.run '^$' -test.bench ...
// -test.benchmem) in -rounds interleaved rounds rather than with -count:
// each round runs every benchmark once, so tether and raw paho are measured
// moments apart in every round, under the same machine load. The clients
// of the publish and command comparisons run in code order (tether first)
// in odd rounds and reversed in even ones: the first benchmark of a
// process runs on a cold heap and reads slower (command round trip,
// tether first: 1.16-1.33x; paho first: 1.05-1.11x). Times shown are
// the best of the rounds (the run the machine's other load disturbed
// least); a budget ratio is the median of the per-round ratios, each
// between two runs made moments apart, so that a round disturbed for both
// cancels out and one lucky round cannot decide (the ratio of the best
// times is shown beside it); allocation counts are the worst round; heap
// per device is the median.
//
// Heap per device is measured for each client kind (transport.Conn,
// mqttx.Client, raw paho) in its own fresh process, once per round, with
// the same -devices devices against the same kind of broker, itself in
// another process: BenchmarkHeapPerDevice runs its test binary again per
// client. Measured in one process, the clients measured later would reuse
// memory (goroutine descriptors, spans, stacks) that the first one paid
// for.
//
// The device binary (examples/device, built with -tags tether_noemulator
// to leave its test emulators out) and the raw paho publisher
// (internal/benchmark/rawpaho/publisher) are built for linux/arm GOARM=7
// with CGO_ENABLED=0 -trimpath -ldflags="-s -w". As evidence of where the
// bytes go, it also builds the publisher on one layer of tether at a time
// (internal/benchmark/sizeprobe: mqttx, the transport with each adapter)
// and lists the symbol bytes per package the device program adds.
//
// Progress goes to stderr, the table to stdout. The exit status is 0 when
// every budget holds, 1 when one is missed, 2 when the benchmarks could not
// run. On 2 cores the defaults finish in about two minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Defaults of the flags.
const (
	// DefaultRounds is even so that each client of a comparison runs
	// first in as many rounds as it runs second.
	DefaultRounds  = 6
	DefaultDevices = 1000
	// commandTimeout bounds each go command and benchmark run.
	commandTimeout = 4 * time.Minute
)

func main() {
	var opts options
	flag.IntVar(&opts.rounds, "rounds", DefaultRounds, "interleaved rounds of every benchmark")
	flag.IntVar(&opts.devices, "devices", DefaultDevices, "devices connected at once for the heap measurement")
	flag.StringVar(&opts.root, "root", ".", "module root")
	flag.Parse()
	if opts.rounds < 1 || opts.devices < 1 {
		fmt.Fprintln(os.Stderr, "benchtable: -rounds and -devices must be positive")
		os.Exit(2)
	}
	missed, err := run(context.Background(), opts, os.Stdout, os.Stderr)
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	case missed > 0:
		os.Exit(1)
	}
}

// options are the flags.
type options struct {
	rounds  int
	devices int
	root    string
}

// run measures everything and writes the report to out; progress goes to
// progress. It returns the number of budgets missed.
func run(ctx context.Context, opts options, out, progress io.Writer) (missed int, err error) {
	start := time.Now()
	loadStart := loadAverage()
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "benchtable: "+format+"\n", args...) }
	dir, err := os.MkdirTemp("", "benchtable")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)

	r := &runner{root: opts.root, dir: dir, logf: logf}
	runs, notes, err := r.benchmarks(ctx, opts)
	if err != nil {
		return 0, err
	}
	sizes := r.binaries(ctx)

	report := buildReport(runs, sizes)
	report.machine = machineInfo()
	report.machine.loadStart, report.machine.loadEnd = loadStart, loadAverage()
	report.notes = notes
	report.elapsed = time.Since(start)
	report.rounds = opts.rounds
	report.devices = opts.devices
	report.write(out)
	return report.missed(), nil
}
