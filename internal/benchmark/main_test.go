package benchmark_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// brokerEnv makes the test binary serve an mqttxtest broker instead of
// running tests: the heap benchmark's broker lives in another process so
// that its memory is not counted as the clients'.
const brokerEnv = "TETHER_BENCH_BROKER"

var (
	devices = flag.Int("devices", 1000, "devices connected at once by BenchmarkHeapPerDevice")
	// The first benchmark of a process runs on a cold heap (fresh pages,
	// the garbage collector's first pacing) and reads 5-30% slower than
	// the same code run second: benchtable alternates the order.
	reverseClients = flag.Bool("clients.reverse", false, "run the clients of each comparison in reverse order")
	heapProfile    = flag.String("devices.heapprofile", "", "write a heap profile of BenchmarkHeapPerDevice's connected devices to this file (each client's process writes it: select one client with -bench)")
)

// clientOrder returns clients in the order to run them: as listed, or
// reversed under -clients.reverse.
func clientOrder[C any](clients []C) []C {
	if !*reverseClients {
		return clients
	}
	out := slices.Clone(clients)
	slices.Reverse(out)
	return out
}

func TestMain(m *testing.M) {
	if os.Getenv(brokerEnv) == "1" {
		if err := serveBroker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveBroker starts a broker, writes its URL as one line to out and
// serves until in reaches EOF (the parent closed the pipe or exited).
func serveBroker(in io.Reader, out io.Writer) error {
	b, err := mqttxtest.Start()
	if err != nil {
		return err
	}
	defer b.Close()
	if _, err := fmt.Fprintln(out, b.URL()); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, in)
	return err
}

// startExternalBroker runs this test binary as a broker in a child
// process and returns its URL. The child stops in b.Cleanup.
func startExternalBroker(b *testing.B) string {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), brokerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("external broker: %v", err)
	}
	return strings.TrimSpace(line)
}
