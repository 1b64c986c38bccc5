package transport_test

// Proofs of the outbox guarantees ("nothing lost"), with figures logged
// for the README. Run them with:
//
//	go test -race -count=1 -v -run 'TestReliability' ./transport/
//
// -short runs them at reduced sizes.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
	"github.com/tether-iot/tether/transport/outbox"
)

// reliabilitySeed seeds the broker's random drops (and the kill points);
// TETHER_RELIABILITY_SEED overrides it to explore other schedules.
func reliabilitySeed(t *testing.T) int64 {
	seed := int64(20240611)
	if s := os.Getenv("TETHER_RELIABILITY_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("TETHER_RELIABILITY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (set TETHER_RELIABILITY_SEED to change it)", seed)
	return seed
}

// dropProbability is the broker's chance of closing the connection after
// each packet: with about two packets per message (PUBLISH, PUBACK), a
// drop every ~100 messages.
const dropProbability = 0.005

// reliabilityQuarantine is QuarantineAfter under random drops. With the
// default (3) an innocent message can be quarantined when the connection
// happens to drop three times while it is in flight: with drops after
// 0.5% of packets, about 1e-6 per message, which 10,000 messages make a
// ~1% chance per run. The quarantine itself is proven by
// TestReliabilityQuarantine.
const reliabilityQuarantine = 10

// deliveryReport checks what the broker received against the sequence
// numbers that had to arrive.
type deliveryReport struct {
	total      int // PUBLISH packets received
	distinct   int
	duplicates int // total - distinct
	late       int // duplicates received after a later message's first copy
	missing    []int
	outOfOrder int // first copies received after a later message's first copy
}

// analyze reads decimal sequence numbers from the payloads. required[i]
// says whether message i had to arrive (n messages).
func analyze(t *testing.T, got []mqttxtest.Message, n int, required func(int) bool) deliveryReport {
	t.Helper()
	var r deliveryReport
	seen := make([]bool, n)
	highest := -1
	for _, m := range got {
		i, err := strconv.Atoi(string(m.Payload))
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected payload %q", m.Payload)
		}
		r.total++
		switch {
		case seen[i]:
			r.duplicates++
			if i < highest {
				r.late++
			}
		case i < highest:
			r.outOfOrder++
			seen[i] = true
		default:
			seen[i] = true
			highest = i
		}
	}
	for i := range n {
		if seen[i] {
			r.distinct++
		} else if required(i) {
			r.missing = append(r.missing, i)
		}
	}
	return r
}

func (r deliveryReport) check(t *testing.T) {
	t.Helper()
	if len(r.missing) > 0 {
		t.Errorf("%d messages lost, first %v", len(r.missing), r.missing[:min(len(r.missing), 10)])
	}
	if r.outOfOrder > 0 {
		t.Errorf("%d messages first received out of order", r.outOfOrder)
	}
}

// (a) 10,000 QoS 1 Sends while the broker drops the connection at seeded
// random packets: none lost, first copies in order, duplicates counted.
//
// The guarantee: at least once, in order. Each message is published only
// once the previous one was acknowledged, so the first copies arrive in
// send order; after a drop the message that was in flight (its PUBACK
// lost) is published again, so it may arrive twice.
func TestReliabilityRandomDrops(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	seed := reliabilitySeed(t)
	b := mqttxtest.NewBroker(t)
	b.DropRandomly(seed, dropProbability)

	drops := &dropLog{}
	cfg := plainConfig(b)
	// Outages of up to 20 ms against Send timeouts of 5 ms: Sends return
	// ErrQueued and a backlog builds up during each outage.
	cfg.MinBackoff, cfg.MaxBackoff, cfg.BackoffResetAfter = 20*time.Millisecond, 50*time.Millisecond, time.Millisecond
	cfg.Outbox.QuarantineAfter = reliabilityQuarantine
	cfg.Outbox.OnDrop = drops.onDrop
	c := newPlain(t, cfg)
	var lost atomic.Int64
	c.Watch(func(ev transport.Event) {
		if ev.Kind == transport.EventConnectionLost {
			lost.Add(1)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	go func() { _ = c.Connect(ctx) }() // the first sends queue while it connects

	queued := 0
	for i := 0; i < n; {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Millisecond)
		err := c.Send(sctx, transport.Message{Topic: "events", Payload: []byte(strconv.Itoa(i)), QoS: 1})
		scancel()
		switch {
		case err == nil:
		case errors.Is(err, transport.ErrQueued) && ctx.Err() == nil:
			queued++ // delivered later
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			continue // the 5 ms were over before Send began: not queued, send it again
		default:
			t.Fatalf("Send %d: %v", i, err)
		}
		i++
	}
	sent := time.Since(start)
	for c.Queued() > 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d messages still queued", c.Queued())
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)

	r := analyze(t, b.Received(testDevice), n, func(int) bool { return true })
	r.check(t)
	if got := drops.reasons(); len(got) > 0 {
		t.Errorf("the outbox dropped %d messages: %v", len(got), got[0])
	}
	t.Logf("%d QoS 1 messages, drop probability %.3f per packet: %d connection drops, %d broker connects",
		n, dropProbability, lost.Load(), b.Stats().Connects)
	t.Logf("received %d PUBLISH: %d distinct, %d lost, %d duplicates (%d after a later message), 0 out of order; %d Sends returned ErrQueued",
		r.total, r.distinct, len(r.missing), r.duplicates, r.late, queued)
	t.Logf("time: %v for the Sends, %v until the outbox was empty (%.0f msg/s)",
		sent.Round(time.Millisecond), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
}

// Environment of the child process of TestReliabilityCrash.
const (
	crashChildEnv  = "TETHER_CRASH_CHILD"
	crashServerEnv = "TETHER_CRASH_SERVER"
	crashDirEnv    = "TETHER_CRASH_DIR"
	crashFromEnv   = "TETHER_CRASH_FROM"
	crashNEnv      = "TETHER_CRASH_N"
)

// (b) A child process with a durable outbox Enqueues numbered messages and
// reports each Enqueue that returned; the parent kills it (SIGKILL) at a
// random point and starts it again over the same directory, until one
// child has sent everything. Every message whose Enqueue returned must
// arrive: none lost, first copies in order, duplicates counted.
func TestReliabilityCrash(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the child reports on an inherited file descriptor")
	}
	n, maxKills := 10000, 6
	if testing.Short() {
		n, maxKills = 2000, 3
	}
	seed := reliabilitySeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	b := mqttxtest.NewBroker(t)
	b.DropRandomly(seed, dropProbability)
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	accepted := make([]bool, n)
	next, kills, runs := 0, 0, 0
	var corrupt, killedWhilePutting int
	start := time.Now()
	for {
		runs++
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("not done after %d runs", runs)
		}
		rep, err := os.CreateTemp(t.TempDir(), "report")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestReliabilityCrashChild$", "-test.count=1", "-test.timeout=2m")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashServerEnv+"="+b.URL(), crashDirEnv+"="+dir,
			crashFromEnv+"="+strconv.Itoa(next), crashNEnv+"="+strconv.Itoa(n))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.ExtraFiles = []*os.File{rep} // fd 3: the child's reports
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var waitErr error
		killed := false
		if kills < maxKills {
			delay := 100*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second)))
			select {
			case <-time.After(delay):
				_ = cmd.Process.Kill() // SIGKILL: no deferred function, no Close
				killed = true
				waitErr = <-exited
			case waitErr = <-exited:
			}
		} else {
			waitErr = <-exited
		}
		// The report file is read only after the child is gone: a line
		// written is a line the child had reached.
		drained := false
		if _, err := rep.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rep)
		lastPut := next - 1
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch f[0] {
			case "put":
				i, _ := strconv.Atoi(f[1])
				accepted[i] = true
				lastPut = i
			case "drained":
				drained = true
			case "corrupt":
				corrupt++
			case "drop":
				t.Errorf("child %d dropped a message: %s", runs, sc.Text())
			}
		}
		rep.Close()
		if killed {
			kills++
			if lastPut+1 < n {
				killedWhilePutting++
			}
		} else if waitErr != nil || !drained {
			t.Fatalf("child %d failed (%v):\n%s", runs, waitErr, out.String())
		}
		if drained && !killed {
			break
		}
		// A message whose Enqueue returned but was not reported yet is
		// enqueued again: at least once.
		next = lastPut + 1
	}
	elapsed := time.Since(start)

	r := analyze(t, b.Received(testDevice), n, func(i int) bool { return accepted[i] })
	r.check(t)
	acceptedCount := 0
	for _, a := range accepted {
		if a {
			acceptedCount++
		}
	}
	t.Logf("%d messages, durable outbox (SyncInterval), drop probability %.3f per packet: %d processes, %d killed with SIGKILL (%d while still enqueueing), %d corrupt tails repaired",
		n, dropProbability, runs, kills, killedWhilePutting, corrupt)
	t.Logf("received %d PUBLISH: %d distinct, %d of the %d acknowledged Enqueues lost, %d duplicates (%d after a later message), 0 out of order; %v in all",
		r.total, r.distinct, len(r.missing), acceptedCount, r.duplicates, r.late, elapsed.Round(time.Millisecond))
}

// TestReliabilityCrashChild is the child process of TestReliabilityCrash;
// it does nothing in a normal run.
func TestReliabilityCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("child process of TestReliabilityCrash")
	}
	report := os.NewFile(3, "report")
	var repMu sync.Mutex
	say := func(format string, args ...any) {
		repMu.Lock()
		defer repMu.Unlock()
		// Unbuffered: the line is in the file before the next message is
		// enqueued.
		if _, err := fmt.Fprintf(report, format+"\n", args...); err != nil {
			t.Fatal(err)
		}
	}
	from, _ := strconv.Atoi(os.Getenv(crashFromEnv))
	n, _ := strconv.Atoi(os.Getenv(crashNEnv))
	cfg := mqtt.Config{
		Server:            os.Getenv(crashServerEnv),
		DeviceID:          testDevice,
		MinBackoff:        time.Millisecond,
		MaxBackoff:        20 * time.Millisecond,
		BackoffResetAfter: time.Millisecond,
		Outbox: outbox.Options{
			Dir:             os.Getenv(crashDirEnv),
			Sync:            outbox.SyncInterval, // a process crash keeps every write that returned
			MaxMessages:     -1,
			QuarantineAfter: reliabilityQuarantine,
			OnDrop: func(rec outbox.Record, reason error) {
				var ce *outbox.CorruptError
				if errors.As(reason, &ce) {
					say("corrupt %d", ce.Size) // a torn tail: only records whose Put had not returned
					return
				}
				say("drop %s %v", rec.Payload, reason)
			},
		},
	}
	c, err := mqtt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	go func() { _ = c.Connect(ctx) }()
	for i := from; i < n; i++ {
		if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte(strconv.Itoa(i)), QoS: 1}); err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
		say("put %d", i)
		if i%5 == 4 {
			time.Sleep(time.Millisecond) // spread the puts over the kill window
		}
	}
	for c.Queued() > 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d messages still queued", c.Queued())
		}
		time.Sleep(5 * time.Millisecond)
	}
	say("drained")
	_ = c.Close(ctx)
}

// (c) The broker restarts under many connected devices: every connection
// drops at once and the port refuses connections while the broker is down.
// Full-jitter backoff spreads the devices' first reconnection attempts
// over the backoff window instead of a stampede; those that come while the
// broker is still down are refused and retry.
func TestReliabilityReconnectJitter(t *testing.T) {
	clients := 1000
	if testing.Short() {
		clients = 200
	}
	const minBackoff, maxBackoff = time.Second, 2 * time.Second
	const down = 200 * time.Millisecond
	b := mqttxtest.NewBroker(t)

	type state struct {
		armed      atomic.Bool
		lost       atomic.Int64 // EventConnectionLost, UnixNano
		attempted  atomic.Int64 // first EventConnecting after the drop, UnixNano
		reconnects chan struct{}
	}
	conns := make([]*transport.Conn, clients)
	states := make([]*state, clients)
	for i := range clients {
		c, err := mqtt.New(mqtt.Config{
			Server:     b.URL(),
			DeviceID:   fmt.Sprintf("gw-%04d", i),
			MinBackoff: minBackoff,
			MaxBackoff: maxBackoff,
			// Keepalive traffic is irrelevant here and costs CPU.
			KeepAlive: 10 * time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		s := &state{reconnects: make(chan struct{}, 1)}
		c.Watch(func(ev transport.Event) {
			if !s.armed.Load() {
				return
			}
			switch ev.Kind {
			case transport.EventConnectionLost:
				s.lost.CompareAndSwap(0, ev.Time.UnixNano())
			case transport.EventConnecting:
				s.attempted.CompareAndSwap(0, ev.Time.UnixNano())
			case transport.EventConnected:
				select {
				case s.reconnects <- struct{}{}:
				default:
				}
			}
		})
		conns[i], states[i] = c, s
	}
	parallel(t, conns, func(ctx context.Context, c *transport.Conn) error { return c.Connect(ctx) })
	t.Cleanup(func() {
		parallel(t, conns, func(ctx context.Context, c *transport.Conn) error { return c.Close(ctx) })
	})

	for _, s := range states {
		s.armed.Store(true)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := b.Restart(ctx, down); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	up := time.Now() // the listener accepts again
	deadline := time.After(60 * time.Second)
	for i, s := range states {
		select {
		case <-s.reconnects:
		case <-deadline:
			t.Fatalf("client %d did not reconnect", i)
		}
	}
	allBack := time.Since(t0)
	upToAllBack := time.Since(up)

	// delays: from the restart to each first attempt, what the broker
	// sees; backoffs: from each client's EventConnectionLost to it.
	delays := make([]time.Duration, clients)
	backoffs := make([]time.Duration, clients)
	firstLost, lastLost := states[0].lost.Load(), states[0].lost.Load()
	refused := 0 // first attempts made while the broker was down
	for i, s := range states {
		delays[i] = time.Duration(s.attempted.Load() - t0.UnixNano())
		backoffs[i] = time.Duration(s.attempted.Load() - s.lost.Load())
		firstLost, lastLost = min(firstLost, s.lost.Load()), max(lastLost, s.lost.Load())
		if s.attempted.Load() < up.UnixNano() {
			refused++
		}
	}
	slices.Sort(delays)
	slices.Sort(backoffs)
	q := func(ds []time.Duration, p float64) time.Duration { return ds[min(int(p*float64(clients)), clients-1)] }
	stats := func(ds []time.Duration) string {
		ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
		return fmt.Sprintf("min %v, p10 %v, p50 %v, p90 %v, max %v",
			ms(ds[0]), ms(q(ds, 0.1)), ms(q(ds, 0.5)), ms(q(ds, 0.9)), ms(ds[clients-1]))
	}
	t.Logf("%d clients, broker restarted (down %v, up again %v after the restart began); backoff Min %v, Max %v",
		clients, down, up.Sub(t0).Round(time.Millisecond), minBackoff, maxBackoff)
	t.Logf("connections lost within %v of each other; %d first attempts came while the broker was down (refused, retried)",
		time.Duration(lastLost-firstLost).Round(time.Millisecond), refused)
	t.Logf("all reconnected %v after the restart began, %v after the broker was up again",
		allBack.Round(time.Millisecond), upToAllBack.Round(time.Millisecond))
	t.Logf("first reconnection attempt after the restart: %s", stats(delays))
	t.Logf("backoff (connection lost to first attempt): %s", stats(backoffs))
	// The first retry after a loss waits a uniform delay in [0, Min]: the
	// window is Min. Scheduling on a loaded machine adds to it (how long
	// each client takes to notice the drop, timers firing late).
	t.Logf("backoffs, 10 buckets over the window [0, %v]:%s", minBackoff, histogram(backoffs, minBackoff))
	t.Logf("first attempts after the restart, 10 buckets over [0, %v]:%s", delays[clients-1].Round(time.Millisecond),
		histogram(delays, delays[clients-1]))

	for _, v := range []struct {
		name string
		ds   []time.Duration
	}{{"backoffs", backoffs}, {"attempts after the restart", delays}} {
		early := 0
		for _, d := range v.ds {
			if d < minBackoff/10 {
				early++
			}
		}
		if early > clients/2 {
			t.Errorf("%s: %d of %d within the first 10%% of the window, want about 10%%", v.name, early, clients)
		}
		if spread := q(v.ds, 0.9) - q(v.ds, 0.1); spread < 4*minBackoff/10 {
			t.Errorf("%s: p90 - p10 = %v, want about 0.8 x %v", v.name, spread, minBackoff)
		}
	}
}

// histogram draws sorted durations in 10 buckets over [0, window]; the
// last bucket also holds those beyond.
func histogram(ds []time.Duration, window time.Duration) string {
	var hist [10]int
	for _, d := range ds {
		hist[min(max(int(10*d/window), 0), 9)]++
	}
	var sb strings.Builder
	for k, count := range hist {
		lo, hi := window*time.Duration(k)/10, window*time.Duration(k+1)/10
		fmt.Fprintf(&sb, "\n  %5d-%5d ms %4d %s", lo.Milliseconds(), hi.Milliseconds(), count, strings.Repeat("#", count*100/len(ds)))
	}
	return sb.String()
}

// parallel runs f on every Conn, 32 at a time.
func parallel(t *testing.T, conns []*transport.Conn, f func(context.Context, *transport.Conn) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, c); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// (d) A message the broker answers by dropping the connection is
// dead-lettered after QuarantineAfter (3) drops; the messages behind it
// are delivered, in order.
func TestReliabilityQuarantine(t *testing.T) {
	const poison = testDevice + "/poison"
	b := mqttxtest.NewBroker(t, mqttxtest.WithAuthorizer(func(a mqttxtest.Action) mqttxtest.Decision {
		if !a.Subscribe && a.Topic == poison {
			return mqttxtest.Disconnect
		}
		return mqttxtest.Allow
	}))
	dead := &dropLog{}
	var deadAttempts atomic.Int64
	cfg := plainConfig(b)
	cfg.Outbox.OnDeadLetter = func(rec outbox.Record, reason error) {
		deadAttempts.Store(int64(rec.Attempts))
		dead.onDrop(rec, reason)
	}
	cfg.Outbox.OnDrop = func(outbox.Record, error) {}
	c := newPlain(t, cfg)
	var lost atomic.Int64
	c.Watch(func(ev transport.Event) {
		if ev.Kind == transport.EventConnectionLost {
			lost.Add(1)
		}
	})
	ctx := testContext(t)

	// Queued offline, so that the order is known: before, poison, after0..2.
	if err := c.Enqueue(transport.Message{Topic: "events", Payload: []byte("before"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	poisoned := make(chan error, 1)
	go func() { poisoned <- c.Send(ctx, transport.Message{Topic: "poison", Payload: []byte("poison"), QoS: 1}) }()
	waitQueued(t, c, 2)
	after := make(chan error, 1)
	go func() {
		var err error
		for i := range 3 {
			err = errors.Join(err, c.Send(ctx, transport.Message{Topic: "events", Payload: []byte(fmt.Sprint("after", i)), QoS: 1}))
		}
		after <- err
	}()
	waitQueued(t, c, 3)
	start := time.Now()
	connect(t, c)

	if err := <-poisoned; !errors.Is(err, outbox.ErrQuarantined) {
		t.Errorf("Send of the poison message = %v, want ErrQuarantined", err)
	}
	if err := <-after; err != nil {
		t.Errorf("Sends behind the poison message: %v", err)
	}
	elapsed := time.Since(start)
	got := dead.reasons()
	if len(got) != 1 || !errors.Is(got[0], outbox.ErrQuarantined) || deadAttempts.Load() != 3 {
		t.Errorf("OnDeadLetter saw %v (attempts %d), want one ErrQuarantined after 3", got, deadAttempts.Load())
	}
	want := "[before poison poison poison after0 after1 after2]"
	if p := payloads(b.Received(testDevice)); fmt.Sprint(p) != want {
		t.Errorf("broker received %q, want %s", p, want)
	}
	t.Logf("poison message dead-lettered after %d connection drops (%d attempts); the 3 messages behind it delivered in order; %v",
		lost.Load(), deadAttempts.Load(), elapsed.Round(time.Millisecond))
}
