package benchmark_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/benchmark/rawpaho"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// connectParallelism bounds the connections opened at once.
const connectParallelism = 8

// leafDevice is one connected device of a gateway, with its command
// subscription.
type leafDevice interface{ close() }

type tetherLeaf struct{ conn *transport.Conn }

func (l tetherLeaf) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.conn.Close(ctx)
}

type mqttxLeaf struct{ c *mqttx.Client }

func (l mqttxLeaf) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.c.Disconnect(ctx)
}

type pahoLeaf struct{ c *rawpaho.Client }

func (l pahoLeaf) close() { l.c.Close() }

// connectTetherLeaf connects a transport.Conn over the plain MQTT adapter
// and handles the canonical "request/#".
func connectTetherLeaf(ctx context.Context, url, id string) (leafDevice, error) {
	conn, err := mqtt.New(mqtt.Config{Server: url, DeviceID: id})
	if err != nil {
		return nil, err
	}
	if err := conn.Connect(ctx); err != nil {
		return nil, err
	}
	err = conn.Handle(ctx, "request/#", func(context.Context, transport.Message) {})
	if err != nil {
		return nil, err
	}
	return tetherLeaf{conn}, nil
}

// connectMQTTXLeaf connects an mqttx.Client, the layer under
// transport.Conn, and subscribes to "{id}/request/#".
func connectMQTTXLeaf(ctx context.Context, url, id string) (leafDevice, error) {
	c, err := mqttx.New(mqttx.Options{Server: url, ClientID: id})
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	if err := c.Subscribe(ctx, id+"/request/#", 1, func(context.Context, mqttx.Message) {}); err != nil {
		return nil, err
	}
	return mqttxLeaf{c}, nil
}

// connectPahoLeaf connects a raw paho client and subscribes to
// "{id}/request/#".
func connectPahoLeaf(ctx context.Context, url, id string) (leafDevice, error) {
	c, err := rawpaho.Connect(ctx, rawpaho.Config{Server: url, ClientID: id})
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(ctx, id+"/request/#", 1, func(string, []byte) {}); err != nil {
		return nil, err
	}
	return pahoLeaf{c}, nil
}

// heapClients are the client kinds BenchmarkHeapPerDevice compares.
var heapClients = []struct {
	name    string
	connect func(ctx context.Context, url, id string) (leafDevice, error)
}{
	{"tether", connectTetherLeaf},
	{"mqttx", connectMQTTXLeaf},
	{"paho", connectPahoLeaf},
}

// BenchmarkHeapPerDevice measures the memory of the devices of a gateway:
// -devices (default 1,000) devices connected at once, each subscribed to
// its commands, against a broker in another process: tether's
// transport.Conn (plain MQTT adapter, handling "request/#"), the
// mqttx.Client under it alone, and raw paho.
//
// Each client kind is measured in its own fresh process: every iteration
// of a sub-benchmark runs this test binary again (see heapClientEnv), and
// that child starts its own broker process, connects the devices, and
// reports; the sub-benchmark relays the child's figures. So every client
// starts from the same empty runtime and the same broker setup, whatever
// ran before it.
//
// It reports the heap in use (runtime.MemStats.HeapInuse, after a GC) per
// device, and for information the live heap objects (HeapAlloc), the
// goroutine stacks and the goroutines per device. Run it with
// -benchtime=1x: one iteration connects them all.
func BenchmarkHeapPerDevice(b *testing.B) {
	if only := os.Getenv(heapClientEnv); only != "" {
		measureHere(b, only)
		return
	}
	for _, client := range heapClients {
		b.Run("client="+client.name, func(b *testing.B) {
			sums := map[string]float64{}
			for i := 0; i < b.N; i++ {
				m, err := measureInFreshProcess(b.Context(), client.name, *devices)
				if err != nil {
					b.Fatal(err)
				}
				for unit, v := range m {
					sums[unit] += v
				}
			}
			for unit, v := range sums {
				b.ReportMetric(v/float64(b.N), unit) // ns/op, B/op and allocs/op: the child's
			}
		})
	}
}

// measureHere is BenchmarkHeapPerDevice in the fresh process of one
// client kind: it measures that client in this process.
func measureHere(b *testing.B, name string) {
	for _, client := range heapClients {
		if client.name != name {
			continue
		}
		b.Run("client="+client.name, func(b *testing.B) {
			url := startExternalBroker(b)
			var m perDevice
			for i := 0; i < b.N; i++ {
				m = m.add(measureDevices(b, url, *devices, client.connect))
			}
			b.ReportMetric(m.heap/float64(b.N), "heapB/device")
			b.ReportMetric(m.live/float64(b.N), "liveB/device")
			b.ReportMetric(m.stack/float64(b.N), "stackB/device")
			b.ReportMetric(m.goroutines/float64(b.N), "goroutines/device")
		})
		return
	}
	b.Fatalf("%s=%q: no such client", heapClientEnv, name)
}

// perDevice is the growth of memory per connected device.
type perDevice struct {
	heap       float64 // MemStats.HeapInuse: bytes in in-use spans, the budget's measure
	live       float64 // MemStats.HeapAlloc: bytes of live objects (less sensitive to fragmentation)
	stack      float64 // MemStats.StackInuse: goroutine stacks
	goroutines float64
}

func (p perDevice) add(q perDevice) perDevice {
	return perDevice{heap: p.heap + q.heap, live: p.live + q.live, stack: p.stack + q.stack, goroutines: p.goroutines + q.goroutines}
}

// measureDevices connects n devices and returns the growth per device.
func measureDevices(b *testing.B, url string, n int, connect func(ctx context.Context, url, id string) (leafDevice, error)) perDevice {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if *heapProfile != "" {
		runtime.MemProfileRate = 512 // fine-grained attribution for the profile
	}
	before, g0 := settledMemStats()

	leaves := make([]leafDevice, n)
	sem := make(chan struct{}, connectParallelism)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range leaves {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l, err := connect(ctx, url, fmt.Sprintf("leaf-%05d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			leaves[i] = l
		}()
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	after, g1 := settledMemStats()
	if *heapProfile != "" {
		writeHeapProfile(b, *heapProfile)
	}
	runtime.KeepAlive(leaves)

	b.StopTimer()
	for _, l := range leaves {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l.close()
		}()
	}
	wg.Wait()
	b.StartTimer()

	per := func(after, before uint64) float64 { return (float64(after) - float64(before)) / float64(n) }
	return perDevice{
		heap:       per(after.HeapInuse, before.HeapInuse),
		live:       per(after.HeapAlloc, before.HeapAlloc),
		stack:      per(after.StackInuse, before.StackInuse),
		goroutines: float64(g1-g0) / float64(n),
	}
}

// writeHeapProfile writes a heap profile of the connected devices.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// settledMemStats collects the garbage (twice, so that finalizers' frees
// count) and reads the memory statistics and the goroutine count.
func settledMemStats() (runtime.MemStats, int) {
	time.Sleep(100 * time.Millisecond) // let goroutines that are ending end
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms, runtime.NumGoroutine()
}
