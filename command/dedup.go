package command

import (
	"sync"
	"time"
)

// dedupKey scopes a transaction id by its sender: two applications may pick
// the same TID, one application never reuses one.
type dedupKey struct {
	sender, tid string
}

// entry is one transaction: in flight until done is closed, then completed.
type entry struct {
	key    dedupKey
	method string
	seq    uint64
	done   chan struct{} // closed once resp is final

	// Set before done is closed; read-only afterwards.
	resp      Response
	completed time.Time
	late      bool // the handler returned after its deadline: its first caller got 504

	// FIFO of completed entries, oldest first; guarded by dedupCache.mu.
	prev, next *entry
}

// lookup is the outcome of dedupCache.acquire.
type lookup int

const (
	lookupClaimed  lookup = iota // new transaction: the caller runs it, then completes or abandons it
	lookupHit                    // completed: answer entry.resp
	lookupInFlight               // running: wait for entry.done
	lookupConflict               // the TID is known under another method
)

// dedupCache maps (sender, TID) to transactions: the ones in flight, and the
// last size completed ones younger than ttl. Completed entries are evicted
// oldest first, by count on insert and by age on insert or lookup; in-flight
// entries are bounded by the Server's concurrency limit.
type dedupCache struct {
	size int
	ttl  time.Duration

	mu        sync.Mutex
	m         map[dedupKey]*entry
	fifo      entry // sentinel: fifo.next is the oldest completed entry
	completed int
}

func newDedupCache(size int, ttl time.Duration) *dedupCache {
	c := &dedupCache{size: size, ttl: ttl, m: make(map[dedupKey]*entry)}
	c.fifo.next, c.fifo.prev = &c.fifo, &c.fifo
	return c
}

// acquire looks key up at time now. On a miss it records a new in-flight
// entry for the caller to run (lookupClaimed). A hit neither allocates nor
// blocks.
func (c *dedupCache) acquire(key dedupKey, method string, seq uint64, now time.Time) (*entry, lookup) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[key]; e != nil {
		switch {
		case e.completed.IsZero():
			if e.method != method {
				return e, lookupConflict
			}
			return e, lookupInFlight
		case !c.expired(e, now):
			if e.method != method {
				return e, lookupConflict
			}
			return e, lookupHit
		}
		c.remove(e)
	}
	e := &entry{key: key, method: method, seq: seq, done: make(chan struct{})}
	c.m[key] = e
	return e, lookupClaimed
}

// expired reports whether completed entry e is older than ttl at now. A clock
// that went backwards (a device without RTC that loaded entries written after
// a clock sync) keeps the entry: forgetting a TID is worse than keeping it.
func (c *dedupCache) expired(e *entry, now time.Time) bool {
	return now.Sub(e.completed) > c.ttl
}

// complete records the final response of a claimed entry, makes it answer
// duplicates, evicts what no longer fits and wakes the waiters.
func (c *dedupCache) complete(e *entry, resp Response, now time.Time) {
	c.mu.Lock()
	e.resp, e.completed = resp, now
	c.insert(e)
	c.evict(now)
	c.mu.Unlock()
	close(e.done)
}

// abandon forgets a claimed entry that did not run (refused, stale), so that
// a retry runs, and answers the waiters with resp.
func (c *dedupCache) abandon(e *entry, resp Response) {
	c.mu.Lock()
	e.resp = resp
	delete(c.m, e.key)
	c.mu.Unlock()
	close(e.done)
}

// restore adds a completed entry loaded from a store, oldest first.
func (c *dedupCache) restore(e *entry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[e.key]; old != nil {
		c.remove(old)
	}
	if e.completed.IsZero() {
		e.completed = now // a store without times: keep the entry a full ttl
	}
	c.m[e.key] = e
	c.insert(e)
	c.evict(now)
}

// snapshot returns the completed entries that are not expired at now,
// oldest first.
func (c *dedupCache) snapshot(now time.Time) []*entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evict(now)
	out := make([]*entry, 0, c.completed)
	for e := c.fifo.next; e != &c.fifo; e = e.next {
		out = append(out, e)
	}
	return out
}

// len returns the number of completed entries.
func (c *dedupCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.completed
}

func (c *dedupCache) insert(e *entry) {
	e.prev, e.next = c.fifo.prev, &c.fifo
	c.fifo.prev.next = e
	c.fifo.prev = e
	c.completed++
}

// evict drops the oldest completed entries beyond size or older than ttl.
func (c *dedupCache) evict(now time.Time) {
	for c.completed > 0 && (c.completed > c.size || c.expired(c.fifo.next, now)) {
		c.remove(c.fifo.next)
	}
}

// remove drops completed entry e from the map and the FIFO.
func (c *dedupCache) remove(e *entry) {
	delete(c.m, e.key)
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	c.completed--
}
