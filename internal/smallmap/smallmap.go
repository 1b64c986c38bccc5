// Package smallmap is a map from strings for a handful of entries, kept
// in a slice in insertion order.
//
// A connection's subscriptions are a handful of filters. In a Go map the
// first entry costs a group of eight slots (about 200 bytes for a string
// key and a pointer); here it costs one slot. A gateway holds a
// connection per leaf device, so this is memory per device. Lookups are
// linear: use it only where the entries stay few.
package smallmap

import "iter"

// Map maps strings to values of type V. The zero value is an empty map
// ready to use. It is not safe for concurrent use.
type Map[V any] struct {
	entries []entry[V]
}

type entry[V any] struct {
	key string
	val V
}

// Get returns the value of key and whether it is present.
func (m *Map[V]) Get(key string) (V, bool) {
	if i := m.index(key); i >= 0 {
		return m.entries[i].val, true
	}
	var zero V
	return zero, false
}

// Set sets the value of key, replacing any value it had (its place in
// the order stays).
func (m *Map[V]) Set(key string, val V) {
	if i := m.index(key); i >= 0 {
		m.entries[i].val = val
		return
	}
	m.entries = append(m.entries, entry[V]{key, val})
}

// Delete removes key and returns the value it had, if present.
func (m *Map[V]) Delete(key string) (V, bool) {
	i := m.index(key)
	if i < 0 {
		var zero V
		return zero, false
	}
	val := m.entries[i].val
	m.entries = append(m.entries[:i], m.entries[i+1:]...)
	var zero entry[V]
	m.entries[:len(m.entries)+1][len(m.entries)] = zero // no reference kept in the spare slot
	if len(m.entries) == 0 {
		m.entries = nil
	}
	return val, true
}

// Len returns the number of entries.
func (m *Map[V]) Len() int { return len(m.entries) }

// All yields the entries in insertion order. The map must not be changed
// during the iteration.
func (m *Map[V]) All() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, e := range m.entries {
			if !yield(e.key, e.val) {
				return
			}
		}
	}
}

// Clear removes every entry and releases the memory.
func (m *Map[V]) Clear() { m.entries = nil }

func (m *Map[V]) index(key string) int {
	for i := range m.entries {
		if m.entries[i].key == key {
			return i
		}
	}
	return -1
}
