package command

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestDedupEvictionByCount(t *testing.T) {
	var runs atomic.Int64
	s := mustServer(t, counting(&runs), WithDedupSize(3))
	serve := func(tid string) Response { return s.Serve(t.Context(), &Request{Method: "m", TID: tid}) }
	for _, tid := range []string{"a", "b", "c", "d"} { // d evicts a, the oldest
		serve(tid)
	}
	if got := s.cache.len(); got != 3 {
		t.Fatalf("cache holds %d entries, want 3", got)
	}
	serve("b")
	serve("c")
	serve("d")
	if runs.Load() != 4 {
		t.Fatalf("b, c, d were not answered from the cache: %d runs", runs.Load())
	}
	if got := serve("a"); string(got.Payload) != `{"n":5}` {
		t.Fatalf("evicted a answered %s, want a new run", got.Payload)
	}
}

func TestDedupEvictionByAge(t *testing.T) {
	clock := newFakeClock()
	var runs atomic.Int64
	s := mustServer(t, counting(&runs), WithDedupTTL(time.Minute), WithClock(clock.Now))
	serve := func(tid string) Response {
		return s.Serve(t.Context(), &Request{Method: "m", TID: tid, Deadline: clock.Now().Add(time.Second)})
	}
	serve("a")
	clock.Advance(30 * time.Second)
	serve("b")
	clock.Advance(30 * time.Second) // a is exactly TTL old: still remembered
	if got := serve("a"); string(got.Payload) != `{"n":1}` {
		t.Fatalf("a at its TTL answered %s, want the cached {\"n\":1}", got.Payload)
	}
	clock.Advance(time.Nanosecond) // a is past its TTL, b is not
	if got := serve("b"); string(got.Payload) != `{"n":2}` {
		t.Fatalf("b answered %s, want the cached {\"n\":2}", got.Payload)
	}
	if got := serve("a"); string(got.Payload) != `{"n":3}` {
		t.Fatalf("expired a answered %s, want a new run", got.Payload)
	}
	clock.Advance(2 * time.Minute)
	serve("c") // inserting evicts expired entries from the front
	if got := s.cache.len(); got != 1 {
		t.Fatalf("cache holds %d entries after expiry, want 1", got)
	}
}

func TestDedupClockBackwardsKeepsEntries(t *testing.T) {
	c := newDedupCache(10, time.Minute)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e, _ := c.acquire(dedupKey{tid: "a"}, "m", 0, now)
	c.complete(e, Response{Status: 200}, now)
	// A device that rebooted without RTC: its clock reads 1970.
	if _, found := c.acquire(dedupKey{tid: "a"}, "m", 0, time.Unix(0, 0)); found != lookupHit {
		t.Fatalf("lookup with an earlier clock = %v, want a hit", found)
	}
}

func TestDedupAbandonForgets(t *testing.T) {
	c := newDedupCache(10, time.Minute)
	now := time.Now()
	e, found := c.acquire(dedupKey{tid: "a"}, "m", 0, now)
	if found != lookupClaimed {
		t.Fatalf("first acquire = %v", found)
	}
	if _, found := c.acquire(dedupKey{tid: "a"}, "m", 0, now); found != lookupInFlight {
		t.Fatalf("second acquire = %v, want in flight", found)
	}
	c.abandon(e, Response{Status: 503})
	<-e.done
	if e.resp.Status != 503 {
		t.Fatalf("waiters get %d", e.resp.Status)
	}
	if _, found := c.acquire(dedupKey{tid: "a"}, "m", 0, now); found != lookupClaimed {
		t.Fatalf("acquire after abandon = %v, want claimed", found)
	}
}

func benchCache(b *testing.B) (*dedupCache, []dedupKey, time.Time) {
	c := newDedupCache(DefaultDedupSize, DefaultDedupTTL)
	now := time.Now()
	keys := make([]dedupKey, 4*DefaultDedupSize)
	for i := range keys {
		keys[i] = dedupKey{sender: "app-1", tid: fmt.Sprintf("0f8fad5b-d9cb-469f-a165-%012d", i)}
	}
	payload := []byte(`{"sensors":[1,2,3]}`)
	for _, k := range keys[:DefaultDedupSize] {
		e, _ := c.acquire(k, "sensor.list", 0, now)
		c.complete(e, Response{Status: StatusOK, Payload: payload}, now)
	}
	return c, keys, now
}

// BenchmarkDedupHit measures answering a duplicate from a full cache.
func BenchmarkDedupHit(b *testing.B) {
	c, keys, now := benchCache(b)
	hot := keys[:DefaultDedupSize]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e, found := c.acquire(hot[i%len(hot)], "sensor.list", 0, now)
		if found != lookupHit || e.resp.Status != StatusOK {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkDedupMiss measures a new transaction's cache work in a full
// cache: claim, complete, evict the oldest.
func BenchmarkDedupMiss(b *testing.B) {
	c, keys, now := benchCache(b)
	resp := Response{Status: StatusNoContent}
	b.ReportAllocs()
	i := DefaultDedupSize
	for b.Loop() {
		e, found := c.acquire(keys[i%len(keys)], "sensor.list", 0, now)
		if found != lookupClaimed {
			b.Fatal("hit")
		}
		c.complete(e, resp, now)
		i++
	}
}

func TestDedupHitAllocs(t *testing.T) {
	c := newDedupCache(4, time.Minute)
	now := time.Now()
	k := dedupKey{sender: "s", tid: "t"}
	e, _ := c.acquire(k, "m", 0, now)
	c.complete(e, Response{Status: 200}, now)
	if n := testing.AllocsPerRun(1000, func() { c.acquire(k, "m", 0, now) }); n != 0 {
		t.Fatalf("hit allocates %v times", n)
	}
}
