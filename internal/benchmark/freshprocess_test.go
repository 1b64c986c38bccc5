package benchmark_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark"
)

// heapClientEnv makes the test binary a fresh process that measures the
// heap of one client kind (its value: "tether", "mqttx" or "paho") for
// BenchmarkHeapPerDevice.
//
// Why a process per client: a Go process keeps what it has allocated.
// Measured one after the other in one process, the first client pays for
// memory the later ones reuse (the descriptors of exited goroutines, ~470 B
// each, stay on the runtime's free list; so do spans and stack memory), so
// the order of the clients decided their figures.
const heapClientEnv = "TETHER_BENCH_HEAP_CLIENT"

// freshProcessTimeout bounds one child measurement: connecting and
// closing the devices, plus starting the child and its broker.
const freshProcessTimeout = 3 * time.Minute

// heapBenchName is the sub-benchmark that measures one client kind.
func heapBenchName(client string) string {
	return "BenchmarkHeapPerDevice/client=" + client
}

// measureInFreshProcess runs this test binary again as a child process
// that runs nothing but BenchmarkHeapPerDevice for client, once, with n
// devices (the child starts its own broker process, as every measurement
// does), and returns the metrics the child reported, by unit.
func measureInFreshProcess(ctx context.Context, client string, n int) (map[string]float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, freshProcessTimeout)
	defer cancel()
	args := []string{
		"-test.run", "^$",
		"-test.bench", "^BenchmarkHeapPerDevice$/^client=" + regexp.QuoteMeta(client) + "$",
		"-test.benchtime", "1x",
		"-test.benchmem",
		"-test.cpu", strconv.Itoa(runtime.GOMAXPROCS(0)),
		"-devices", strconv.Itoa(n),
	}
	if *heapProfile != "" {
		args = append(args, "-devices.heapprofile", *heapProfile)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), heapClientEnv+"="+client)
	if _, set := os.LookupEnv("GORACE"); !set {
		// Under -race, each process (the child and its broker) would
		// otherwise sleep a second at exit.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("heap of %s in a fresh process: %w\n%s", client, err, out.String())
	}
	results, err := benchmark.Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		return nil, err
	}
	if len(results) != 1 || results[0].Name != heapBenchName(client) {
		return nil, fmt.Errorf("heap of %s in a fresh process: want one result %s, got %d:\n%s",
			client, heapBenchName(client), len(results), out.String())
	}
	return results[0].Metrics, nil
}

func TestMeasureInFreshProcess(t *testing.T) {
	const n = 10
	for _, client := range heapClients {
		t.Run(client.name, func(t *testing.T) {
			m, err := measureInFreshProcess(t.Context(), client.name, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, unit := range []string{"heapB/device", "liveB/device", "stackB/device", "goroutines/device"} {
				if _, ok := m[unit]; !ok {
					t.Errorf("the child reported no %s: %v", unit, m)
				}
			}
			// Every connected client keeps at least its reader goroutine:
			// the child did connect the devices it measured.
			if g := m["goroutines/device"]; g < 1 {
				t.Errorf("goroutines/device = %v, want ≥ 1", g)
			}
		})
	}
	t.Run("unknown client", func(t *testing.T) {
		if _, err := measureInFreshProcess(t.Context(), "nosuch", n); err == nil {
			t.Error("measuring an unknown client succeeded")
		}
	})
}
