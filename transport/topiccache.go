package transport

import "sync"

// topicCacheSize is how many canonical topics a Conn remembers the cloud
// topic of: a device sends on a handful of topics.
const topicCacheSize = 4

// topicCache remembers the cloud topics of the last canonical topics sent
// without properties, so that a device sending on the same few topics
// pays for their validation and translation (and the allocation of the
// cloud topic) once. A Dialect translates as a pure function, so a cloud
// topic depends on the canonical topic alone when there are no properties.
type topicCache struct {
	mu      sync.Mutex
	entries [topicCacheSize]topicPair
	next    int // the entry replaced next
}

type topicPair struct{ canonical, cloud string }

// get returns the cloud topic of canonical, if remembered.
func (tc *topicCache) get(canonical string) (string, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for _, e := range tc.entries {
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
	tc.entries[tc.next] = topicPair{canonical: canonical, cloud: cloud}
	tc.next = (tc.next + 1) % topicCacheSize
}
