package transport

import (
	"sync"
	"sync/atomic"
)

// topicCacheSize is how many canonical topics a Conn remembers the cloud
// topic of: a device sends on a handful of topics.
const topicCacheSize = 4

// topicCache remembers the cloud topics of the last canonical topics sent
// without properties, so that a device sending on the same few topics
// pays for their validation and translation (and the allocation of the
// cloud topic) once. A Dialect translates as a pure function, so a cloud
// topic depends on the canonical topic alone when there are no properties.
type topicCache struct {
	entries atomic.Pointer[[topicCacheSize]topicPair] // replaced whole by put, so get takes no lock
	mu      sync.Mutex                                // serializes puts
	next    int                                       // the entry replaced next; guarded by mu
}

type topicPair struct{ canonical, cloud string }

// get returns the cloud topic of canonical, if remembered.
func (tc *topicCache) get(canonical string) (string, bool) {
	entries := tc.entries.Load()
	if entries == nil {
		return "", false
	}
	for _, e := range entries {
		if e.canonical == canonical && e.cloud != "" {
			return e.cloud, true
		}
	}
	return "", false
}

// put remembers the cloud topic of canonical, replacing the oldest entry.
func (tc *topicCache) put(canonical, cloud string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	var entries [topicCacheSize]topicPair
	if old := tc.entries.Load(); old != nil {
		entries = *old
	}
	entries[tc.next] = topicPair{canonical: canonical, cloud: cloud}
	tc.next = (tc.next + 1) % topicCacheSize
	tc.entries.Store(&entries)
}
