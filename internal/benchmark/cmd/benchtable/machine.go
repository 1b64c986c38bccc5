package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes where the benchmarks ran.
type machine struct {
	goVersion string
	platform  string // GOOS/GOARCH
	cpus      int    // logical CPUs (nproc)
	cpuModel  string
	mosquitto string // version, "" when not installed
	// Load averages from /proc/loadavg when the run started and ended:
	// the machine's other work, which disturbs the timings.
	loadStart, loadEnd string
}

func machineInfo() machine {
	return machine{
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		cpus:      runtime.NumCPU(),
		cpuModel:  cpuModel(),
		mosquitto: mosquittoVersion(),
	}
}

// loadAverage returns the 1, 5 and 15 minute load averages (Linux), ""
// elsewhere.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], ", ")
}

// cpuModel reads the model name from /proc/cpuinfo (Linux), "" elsewhere.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// mosquittoVersion returns the first line of `mosquitto -h`, which names
// the version, or "" when mosquitto is not installed.
func mosquittoVersion() string {
	bin := "/usr/sbin/mosquitto"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("mosquitto"); err != nil {
			return ""
		}
	}
	out, _ := exec.Command(bin, "-h").CombinedOutput() // exits non-zero after printing its help
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
