package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tether-iot/tether/internal/benchmark"
)

// Budgets (issue "Performance: benchmarks against raw paho, and budgets
// held").
const (
	minPublishRatio   = 0.95           // tether / raw paho publish throughput
	maxCommandRatio   = 1.10           // tether / raw paho command round trip
	maxAWSAllocs      = 0              // canonical → AWS topic
	maxAzureAllocs    = 1              // canonical → Azure topic
	maxDedupHitAllocs = 0              // dedup hit
	maxDedupHitNs     = 100            // dedup hit, ns (strictly less)
	maxHeapRatio      = 1.2            // heap per device, tether / raw paho
	maxDeviceBinary   = 6_100_000      // bytes: 6.1 MB (decimal), stripped linux/arm
	resultPass        = "PASS"         //
	resultMiss        = "MISS"         //
	resultInfo        = "info"         // a figure without a budget
	resultMissing     = "not measured" // a benchmark that did not run
)

// Benchmark names, as go test prints them without the GOMAXPROCS suffix.
const (
	benchPublish     = "BenchmarkPublish/broker=%s/qos=%d/size=%d/client=%s"
	benchCommand     = "BenchmarkCommandRoundTrip/client=%s"
	benchHeap        = "BenchmarkHeapPerDevice/client=%s"
	benchAppendAWS   = "BenchmarkTopicAWS/AppendAWS"
	benchToAWS       = "BenchmarkTopicAWS/ToAWS"
	benchAzure       = "BenchmarkTopicAzure/%s"
	benchBagParse    = "BenchmarkPropertyBag/Parse"
	benchBagEncode   = "BenchmarkPropertyBag/Encode"
	benchDedupHit    = "BenchmarkDedupHit"
	benchDedupMiss   = "BenchmarkDedupMiss"
	benchShadowDelta = "BenchmarkShadowDelta"
	benchTwin        = "BenchmarkTwinValidate"
)

// row is one line of the budget table.
type row struct {
	check, tether, raw, ratio, budget, result string
}

// report is everything benchtable prints.
type report struct {
	rows    []row
	runs    benchmark.Runs
	sizes   binarySizes
	machine machine
	notes   []string
	elapsed time.Duration
	rounds  int
	devices int
}

func (r *report) missed() int {
	n := 0
	for _, row := range r.rows {
		if row.result == resultMiss {
			n++
		}
	}
	return n
}

// buildReport evaluates the budgets.
func buildReport(runs benchmark.Runs, sizes binarySizes) *report {
	r := &report{runs: runs, sizes: sizes}
	for _, broker := range []string{"mqttxtest", "mosquitto"} {
		for _, qos := range []int{0, 1} {
			for _, size := range []int{64, 4096} {
				r.publishRow(broker, qos, size)
				if qos == 1 {
					r.directRow(broker, size)
				}
			}
		}
	}
	r.commandRow()
	r.allocRow("canonical→AWS topic (Topics.AppendAWS)", benchAppendAWS, maxAWSAllocs, 0)
	r.infoRow("canonical→AWS topic (Topics.ToAWS, new string)", benchToAWS)
	r.allocRow("canonical→Azure topic (D2CTopic, subtopic)", fmt.Sprintf(benchAzure, "subtopic"), maxAzureAllocs, 0)
	r.infoRow("canonical→Azure topic (D2CTopic, events)", fmt.Sprintf(benchAzure, "events"))
	r.infoRow("canonical→Azure topic (D2CTopic, subtopic + $.ct $.ce)", fmt.Sprintf(benchAzure, "properties"))
	r.infoRow("property bag decode (7 properties)", benchBagParse)
	r.infoRow("property bag encode (7 properties)", benchBagEncode)
	r.allocRow("dedup lookup, hit", benchDedupHit, maxDedupHitAllocs, maxDedupHitNs)
	r.infoRow("dedup lookup, miss (claim, complete, evict)", benchDedupMiss)
	r.infoRow("shadow delta (thermostat document)", benchShadowDelta)
	r.infoRow("twin patch validation (thermostat document)", benchTwin)
	r.heapRows()
	r.binaryRow()
	return r
}

func (r *report) add(row row) { r.rows = append(r.rows, row) }

func (r *report) publishRow(broker string, qos, size int) {
	check := fmt.Sprintf("publish QoS %d, %s, %s", qos, sizeName(size), broker)
	tether := fmt.Sprintf(benchPublish, broker, qos, size, "tether")
	paho := fmt.Sprintf(benchPublish, broker, qos, size, "paho")
	t, okT := r.runs.Min(tether, "ns/op")
	p, okP := r.runs.Min(paho, "ns/op")
	if !okT || !okP {
		r.add(row{check: check, budget: fmt.Sprintf("≥ %.2f", minPublishRatio), result: resultMissing})
		return
	}
	// Throughput ratio, msg/s tether over msg/s paho: paho's time over tether's.
	ratio, ratioText := r.pairedRatio(paho, tether, p/t, "")
	r.add(row{check: check, tether: rate(t), raw: rate(p), ratio: ratioText,
		budget: fmt.Sprintf("≥ %.2f", minPublishRatio), result: passIf(ratio >= minPublishRatio)})
}

// pairedRatio returns the ratio a budget is held to, num's time over
// den's: the median of the per-round ratios (Runs.PairedRatio), or best,
// the ratio of the best rounds, when the rounds do not pair up. The text,
// with unit after the budget's figure, shows both, and the paired ratio of
// CPU time when it was measured.
func (r *report) pairedRatio(num, den string, best float64, unit string) (float64, string) {
	ratio, ok := r.runs.PairedRatio(num, den, "ns/op")
	if !ok {
		return best, fmt.Sprintf("%.3f%s (best rounds; rounds unpaired)", best, unit)
	}
	text := fmt.Sprintf("%.3f%s (best rounds %.3f", ratio, unit, best)
	if cpu, ok := r.runs.PairedRatio(num, den, "cpu-ns/op"); ok {
		text += fmt.Sprintf(", CPU %.3f", cpu)
	}
	return ratio, text + ")"
}

// directRow shows QoS 1 through SendDirect, the transport without the
// outbox: the difference to the Send row is the outbox's share.
func (r *report) directRow(broker string, size int) {
	check := fmt.Sprintf("publish QoS 1, %s, %s, SendDirect (no outbox)", sizeName(size), broker)
	direct, paho := fmt.Sprintf(benchPublish, broker, 1, size, "tether-direct"), fmt.Sprintf(benchPublish, broker, 1, size, "paho")
	t, okT := r.runs.Min(direct, "ns/op")
	p, okP := r.runs.Min(paho, "ns/op")
	if !okT || !okP {
		return // an older benchmark binary, or skipped: the budget rows say what is missing
	}
	_, ratioText := r.pairedRatio(paho, direct, p/t, "")
	r.add(row{check: check, tether: rate(t), raw: rate(p), ratio: ratioText, budget: "—", result: resultInfo})
}

func (r *report) commandRow() {
	check := "command round trip (mqttxtest)"
	tether, paho := fmt.Sprintf(benchCommand, "tether"), fmt.Sprintf(benchCommand, "paho")
	t, okT := r.runs.Min(tether, "ns/op")
	p, okP := r.runs.Min(paho, "ns/op")
	if !okT || !okP {
		r.add(row{check: check, budget: fmt.Sprintf("≤ %.2f×", maxCommandRatio), result: resultMissing})
		return
	}
	ratio, ratioText := r.pairedRatio(tether, paho, t/p, "×")
	r.add(row{check: check, tether: duration(t), raw: duration(p), ratio: ratioText,
		budget: fmt.Sprintf("≤ %.2f×", maxCommandRatio), result: passIf(ratio <= maxCommandRatio)})
}

// allocRow holds a benchmark to an allocation budget and, when maxNs > 0,
// a time budget.
func (r *report) allocRow(check, name string, maxAllocs int, maxNs float64) {
	budget := fmt.Sprintf("≤ %d allocs", maxAllocs)
	if maxAllocs == 0 {
		budget = "0 allocs"
	}
	if maxNs > 0 {
		budget += fmt.Sprintf(", < %.0f ns", maxNs)
	}
	allocs, okA := r.runs.Max(name, "allocs/op")
	ns, okN := r.runs.Min(name, "ns/op")
	if !okA || !okN {
		r.add(row{check: check, budget: budget, result: resultMissing})
		return
	}
	ok := allocs <= float64(maxAllocs) && (maxNs <= 0 || ns < maxNs)
	r.add(row{check: check, tether: allocsTime(allocs, ns), raw: "—", ratio: "—", budget: budget, result: passIf(ok)})
}

func (r *report) infoRow(check, name string) {
	allocs, okA := r.runs.Max(name, "allocs/op")
	ns, okN := r.runs.Min(name, "ns/op")
	if !okA || !okN {
		r.add(row{check: check, budget: "—", result: resultMissing})
		return
	}
	r.add(row{check: check, tether: allocsTime(allocs, ns), raw: "—", ratio: "—", budget: "—", result: resultInfo})
}

func (r *report) heapRows() {
	p, okP := r.runs.Median(fmt.Sprintf(benchHeap, "paho"), "heapB/device")
	for _, c := range []struct {
		client, check string
		budget        bool
	}{
		{"tether", "heap per device, 1,000 devices (transport.Conn, plain adapter)", true},
		{"mqttx", "heap per device, 1,000 devices (mqttx.Client alone)", false},
	} {
		t, okT := r.runs.Median(fmt.Sprintf(benchHeap, c.client), "heapB/device")
		budget := fmt.Sprintf("≤ %.1f×", maxHeapRatio)
		if !c.budget {
			budget = "—"
		}
		if !okT || !okP {
			r.add(row{check: c.check, budget: budget, result: resultMissing})
			continue
		}
		ratio := t / p
		result := resultInfo
		if c.budget {
			result = passIf(ratio <= maxHeapRatio)
		}
		r.add(row{check: c.check, tether: kib(t), raw: kib(p), ratio: fmt.Sprintf("%.2f×", ratio), budget: budget, result: result})
	}
	// For information: the live objects (HeapAlloc), which fragmentation
	// and GC timing disturb less than the spans in use.
	lt, okT := r.runs.Median(fmt.Sprintf(benchHeap, "tether"), "liveB/device")
	lp, okLP := r.runs.Median(fmt.Sprintf(benchHeap, "paho"), "liveB/device")
	if okT && okLP {
		r.add(row{check: "live heap objects per device (HeapAlloc; transport.Conn)", tether: kib(lt), raw: kib(lp),
			ratio: fmt.Sprintf("%.2f×", lt/lp), budget: "—", result: resultInfo})
	}
}

func (r *report) binaryRow() {
	check := "device binary (examples/device, emulators left out), stripped, linux/arm GOARM=7"
	budget := fmt.Sprintf("≤ %.1f MB", float64(maxDeviceBinary)/1e6)
	if r.sizes.err != nil || r.sizes.device == 0 {
		r.add(row{check: check, budget: budget, result: resultMissing})
		return
	}
	r.add(row{check: check, tether: megabytes(r.sizes.device), raw: megabytes(r.sizes.raw),
		ratio:  fmt.Sprintf("%.2f×", float64(r.sizes.device)/float64(r.sizes.raw)),
		budget: budget, result: passIf(r.sizes.device <= maxDeviceBinary)})
	for _, l := range r.sizes.layers {
		r.add(row{check: l.layer + ", stripped, linux/arm GOARM=7",
			tether: megabytes(l.bytes), raw: megabytes(r.sizes.raw),
			ratio:  fmt.Sprintf("%.2f×", float64(l.bytes)/float64(r.sizes.raw)),
			budget: "—", result: resultInfo})
	}
}

func passIf(ok bool) string {
	if ok {
		return resultPass
	}
	return resultMiss
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// rate formats a time per message as a throughput.
func rate(nsPerOp float64) string {
	return fmt.Sprintf("%.1fk msg/s (%s)", 1e6/nsPerOp, duration(nsPerOp))
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.1f ns", ns)
	}
}

func allocsTime(allocs, ns float64) string {
	return fmt.Sprintf("%.0f allocs, %s", allocs, duration(ns))
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func megabytes(b int64) string { return fmt.Sprintf("%.2f MB", float64(b)/1e6) }

// write prints the report as Markdown.
func (r *report) write(w io.Writer) {
	m := r.machine
	fmt.Fprintf(w, "# tether performance vs raw paho\n\n")
	fmt.Fprintf(w, "Machine: %d CPUs (nproc), CPU model %s, %s, %s", m.cpus, orUnknown(m.cpuModel), m.platform, m.goVersion)
	if m.mosquitto != "" {
		fmt.Fprintf(w, ", %s", m.mosquitto)
	} else {
		fmt.Fprintf(w, ", mosquitto not installed")
	}
	fmt.Fprintf(w, ".  \nLoad average (1, 5, 15 min) at the start: %s; at the end: %s.  \n", orUnknown(m.loadStart), orUnknown(m.loadEnd))
	fmt.Fprintf(w, "%d interleaved rounds, the clients of each comparison in alternating order; times are the best round, allocations the worst, heap the median. Took %v.  \n",
		r.rounds, r.elapsed.Round(time.Second))
	fmt.Fprintf(w, "Heap per device: %s devices connected at once; each client kind (transport.Conn, mqttx.Client, raw paho) "+
		"in its own fresh process, once per round, against a broker in another process; "+
		"runtime.MemStats.HeapInuse after GC, growth per device, median of the %d rounds.  \n",
		thousands(r.devices), r.rounds)
	fmt.Fprintf(w, "Ratios compare throughput (publish: tether/paho, ≥ 1 is faster) or time (command, heap: tether/paho, ≤ 1 is better). "+
		"A publish or command ratio is the median of the %d per-round ratios (tether and paho measured moments apart), which the budget holds; "+
		"\"best rounds\" is the ratio of the two best times shown, \"CPU\" the paired ratio of the process's CPU time per operation.\n\n", r.rounds)

	table(w, []string{"check", "tether", "raw paho", "ratio", "budget", "result"}, r.budgetRows())
	fmt.Fprintf(w, "\n%d budgets: %d PASS, %d MISS.\n", r.budgets(), r.budgets()-r.missed(), r.missed())

	if len(r.notes) > 0 || r.sizes.err != nil {
		fmt.Fprintf(w, "\n## Notes\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		if r.sizes.err != nil {
			fmt.Fprintf(w, "- binary sizes not measured: %s\n", firstLine(r.sizes.err.Error()))
		}
	}

	fmt.Fprintf(w, "\n## All benchmarks\n\n")
	table(w, []string{"benchmark", "rounds", "ns/op best", "median", "worst", "B/op", "allocs/op", "other (median)"}, r.detailRows())

	if len(r.sizes.extra) > 0 {
		fmt.Fprintf(w, "\n## Binary size: symbols the device program has beyond the raw paho publisher\n\n")
		var rows [][]string
		var total int64
		for _, p := range r.sizes.extra {
			total += p.bytes
		}
		for i, p := range r.sizes.extra {
			if i == evidenceRows {
				break
			}
			rows = append(rows, []string{p.pkg, fmt.Sprintf("%d", p.bytes)})
		}
		rows = append(rows, []string{fmt.Sprintf("all %d packages", len(r.sizes.extra)), fmt.Sprintf("%d", total)})
		table(w, []string{"package", "symbol bytes (unstripped)"}, rows)
		fmt.Fprintf(w, "\nStripped sizes also include the pclntab and type data that grow with this code.\n")
	}
}

func (r *report) budgets() int {
	n := 0
	for _, row := range r.rows {
		if row.result == resultPass || row.result == resultMiss {
			n++
		}
	}
	return n
}

func (r *report) budgetRows() [][]string {
	rows := make([][]string, len(r.rows))
	for i, x := range r.rows {
		result := x.result
		if result == resultPass || result == resultMiss {
			result = "**" + result + "**"
		}
		rows[i] = []string{x.check, dash(x.tether), dash(x.raw), dash(x.ratio), x.budget, result}
	}
	return rows
}

func (r *report) detailRows() [][]string {
	var rows [][]string
	for _, name := range r.runs.Names() {
		best, _ := r.runs.Min(name, "ns/op")
		med, _ := r.runs.Median(name, "ns/op")
		worst, _ := r.runs.Max(name, "ns/op")
		b, _ := r.runs.Max(name, "B/op")
		allocs, _ := r.runs.Max(name, "allocs/op")
		var other []string
		for _, unit := range customUnits(r.runs[name]) {
			v, _ := r.runs.Median(name, unit)
			other = append(other, fmt.Sprintf("%s %s", trimFloat(v), unit))
		}
		rows = append(rows, []string{strings.TrimPrefix(name, "Benchmark"), fmt.Sprint(len(r.runs[name])),
			duration(best), duration(med), duration(worst), trimFloat(b), trimFloat(allocs), dash(strings.Join(other, ", "))})
	}
	return rows
}

// customUnits returns the units besides the standard ones, in a stable
// order.
func customUnits(results []benchmark.Result) []string {
	seen := map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true}
	var units []string
	for _, res := range results {
		for u := range res.Metrics {
			if !seen[u] {
				seen[u] = true
				units = append(units, u)
			}
		}
	}
	sort.Strings(units)
	return units
}

func trimFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// thousands formats n with comma separators: 1000 → "1,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// table writes a Markdown table.
func table(w io.Writer, header []string, rows [][]string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}
