package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tether-iot/tether/internal/benchmark"
)

// runner builds and runs the benchmark binaries.
type runner struct {
	root string // module root
	dir  string // scratch directory for binaries
	logf func(format string, args ...any)
}

// testBinary is a compiled test binary and the package directory it runs
// in, as go test runs it.
type testBinary struct {
	pkg  string // import path relative to the module root, "./command"
	path string
	err  error // why it could not be built
}

// group is a set of benchmarks run together in each round.
type group struct {
	name      string
	binary    *testBinary
	bench     string // -test.bench pattern
	benchtime string
	extra     []string
	// alternate runs the group's clients in reverse order in even rounds
	// (-clients.reverse), so that neither side of a comparison is always
	// the process's first, cold, benchmark.
	alternate bool
}

// args are the test binary's arguments for round round (from 1): the
// clients run in reverse order in the even rounds of an alternating group.
func (g group) args(round int) []string {
	args := append([]string{"-test.run", "^$", "-test.bench", g.bench, "-test.benchmem",
		"-test.benchtime", g.benchtime, "-test.count", "1", "-test.v"}, g.extra...)
	if g.alternate && round%2 == 0 {
		args = append(args, "-clients.reverse")
	}
	return args
}

// benchmarks builds the test binaries and runs every group in rounds. A
// package that does not build (code being edited) is reported in notes
// and its rows stay empty; err is returned only when nothing could run.
func (r *runner) benchmarks(ctx context.Context, opts options) (benchmark.Runs, []string, error) {
	bench := r.buildTest(ctx, "./internal/benchmark")
	cmd := r.buildTest(ctx, "./command")
	if bench.err != nil && cmd.err != nil {
		return nil, nil, fmt.Errorf("no benchmark binary builds:\n%v\n%v", bench.err, cmd.err)
	}
	var notes []string
	for _, b := range []*testBinary{bench, cmd} {
		if b.err != nil {
			notes = append(notes, fmt.Sprintf("%s did not build, its benchmarks are missing: %v", b.pkg, firstLine(b.err.Error())))
		}
	}
	groups := []group{
		{name: "codecs", binary: bench, bench: "^Benchmark(TopicAWS|TopicAzure|PropertyBag|ShadowDelta|TwinValidate)$", benchtime: "200ms"},
		{name: "dedup", binary: cmd, bench: "^BenchmarkDedup(Hit|Miss)$", benchtime: "200ms"},
		// Each publish benchmark runs for a few hundred milliseconds: a
		// QoS 0 message takes 6-15 us, a QoS 1 one 30-120 us. Run for
		// 4,000 messages like QoS 1, the first QoS 0 row lasted 30 ms,
		// the first benchmark of its process, and read 0.81-0.84 of paho
		// in four runs of this command, 0.93 in six paired rounds of that
		// row alone, and 1.00 with 20,000 messages.
		{name: "publish QoS 0", binary: bench, bench: "^BenchmarkPublish$/./^qos=0$", benchtime: "20000x", alternate: true},
		{name: "publish QoS 1", binary: bench, bench: "^BenchmarkPublish$/./^qos=1$", benchtime: "4000x", alternate: true},
		{name: "command round trip", binary: bench, bench: "^BenchmarkCommandRoundTrip$", benchtime: "1500x", alternate: true},
		// One fresh process per client kind: BenchmarkHeapPerDevice runs
		// its test binary again for each client it measures.
		{name: "heap per device", binary: bench, bench: "^BenchmarkHeapPerDevice$", benchtime: "1x",
			extra: []string{"-devices", strconv.Itoa(opts.devices)}},
	}
	runs := benchmark.Runs{}
	for round := 1; round <= opts.rounds; round++ {
		for _, g := range groups {
			if g.binary.err != nil {
				continue
			}
			r.logf("round %d/%d: %s", round, opts.rounds, g.name)
			results, skipped, err := r.runGroup(ctx, g, round)
			if err != nil {
				return nil, nil, err
			}
			runs.Add(results...)
			if round == 1 {
				for _, s := range skipped {
					notes = append(notes, s)
				}
			}
		}
	}
	return runs, notes, nil
}

// buildTest compiles a package's test binary.
func (r *runner) buildTest(ctx context.Context, pkg string) *testBinary {
	b := &testBinary{pkg: pkg, path: filepath.Join(r.dir, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "_")+".test")}
	r.logf("building the test binary of %s", pkg)
	if _, err := r.goCmd(ctx, nil, "test", "-c", "-o", b.path, pkg); err != nil {
		b.err = err
	}
	return b
}

// runGroup runs one group's benchmarks once, as round round, and parses
// the results. Lines about skipped benchmarks (mosquitto not installed)
// are returned as notes.
func (r *runner) runGroup(ctx context.Context, g group, round int) ([]benchmark.Result, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.binary.path, g.args(round)...)
	cmd.Dir = filepath.Join(r.root, g.binary.pkg) // as go test runs it
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s benchmarks (%s): %w\n%s%s", g.name, g.binary.pkg, err, tail(stdout.String()), tail(stderr.String()))
	}
	results, err := benchmark.Parse(&stdout)
	if err != nil {
		return nil, nil, err
	}
	return results, skips(stdout.String()), nil
}

// skips returns the skip messages of a -test.v benchmark run, one per
// skipped benchmark.
func skips(out string) []string {
	var notes []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		name, ok := strings.CutPrefix(strings.TrimSpace(l), "--- SKIP: ")
		if !ok {
			continue
		}
		reason := ""
		if i+1 < len(lines) {
			reason = strings.TrimSpace(lines[i+1])
			if _, after, found := strings.Cut(reason, ": "); found {
				reason = after
			}
		}
		notes = append(notes, fmt.Sprintf("%s skipped: %s", strings.Fields(name)[0], reason))
	}
	return notes
}

// goCmd runs the go command in the module root with extra environment.
func (r *runner) goCmd(ctx context.Context, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(string(out)))
	}
	return string(out), nil
}

// tail returns the last lines of s, for error messages.
func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n") + "\n"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
