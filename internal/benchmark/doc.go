// Package benchmark measures tether against raw paho, its floor, and holds
// the performance budgets.
//
// The whole report is one command, run from the module root:
//
//	go run ./internal/benchmark/cmd/benchtable
//
// It compiles the benchmark test binaries, runs them in interleaved rounds
// (so that tether and its baseline see the same machine load; the heap per
// device is the median of the rounds, measured in a fresh process per
// client and round), builds the device binaries for linux/arm, and prints
// a Markdown table of figures, ratios, budgets and PASS/MISS. Budgets are checked there and only there:
// unit tests do not time anything, because shared machines are noisy.
//
// The benchmarks themselves are ordinary Go benchmarks in this package's
// test files (run them with go test -run '^$' -bench . -benchmem):
//
//   - BenchmarkPublish: QoS 0 and 1, 64 B and 4 KiB, tether's transport
//     (transport/mqtt adapter, transport.Conn, mqttx) against raw paho, on
//     the in-process mqttxtest broker and on mosquitto when installed.
//     Each iteration is one Send (or paho Publish plus its token wait); the
//     clock stops when the broker has received every message, so the
//     figure stays a throughput whatever Send waits for.
//   - BenchmarkCommandRoundTrip: command.Invoker → command.Device and back
//     against the same exchange written on raw paho (package rawpaho).
//   - BenchmarkTopicAWS, BenchmarkTopicAzure, BenchmarkPropertyBag,
//     BenchmarkShadowDelta, BenchmarkTwinValidate: the pure codecs.
//   - BenchmarkHeapPerDevice: heap in use per connected device with 1,000
//     devices connected at once, for transport.Conn (plain adapter),
//     mqttx.Client alone and raw paho. Each client kind is measured in its
//     own fresh process (the benchmark runs its test binary again, one
//     child per client and iteration), against a broker in yet another
//     process, so that only that client's memory is counted and no client
//     inherits memory a previous one left to the Go runtime. (Measured one
//     after the other in one process, the first client paid for goroutine
//     descriptors, spans and stacks that the later ones reused: raw paho
//     came out a third smaller than alone, and the ratio 2.09× instead of
//     about 1.3×.)
//
// The deduplication benchmarks (BenchmarkDedupHit, BenchmarkDedupMiss)
// live next to the unexported cache in package command; benchtable runs
// them from there.
//
// This package's own code parses `go test -bench` output (Parse) and
// summarizes repeated runs (Runs), for the table command.
package benchmark
