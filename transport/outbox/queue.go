package outbox

import "sort"

// entry is a queued record and its bookkeeping.
type entry struct {
	rec        Record
	size       int64    // rec.Size()
	seg        *segment // durable outbox: segment holding the latest put frame
	frameSize  int64    // size of that frame
	removed    bool     // no longer queued
	quarantine bool     // dead-letter it if the send in progress fails
}

// queue holds entries in increasing Seq order. Removal is O(1) at the
// head (the usual case: acknowledged, expired or dropped oldest) and O(n)
// elsewhere.
type queue struct {
	items []*entry
	head  int
}

func (q *queue) len() int { return len(q.items) - q.head }

// at returns the i-th oldest entry.
func (q *queue) at(i int) *entry { return q.items[q.head+i] }

func (q *queue) push(e *entry) { q.items = append(q.items, e) }

// index returns the position of seq, or -1.
func (q *queue) index(seq uint64) int {
	live := q.items[q.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].rec.Seq >= seq })
	if i < len(live) && live[i].rec.Seq == seq {
		return i
	}
	return -1
}

// remove takes e out of the queue; e must be queued.
func (q *queue) remove(e *entry) {
	i := q.index(e.rec.Seq)
	if i < 0 {
		return
	}
	if i == 0 {
		q.items[q.head] = nil
		q.head++
	} else {
		at := q.head + i
		copy(q.items[at:], q.items[at+1:])
		q.items[len(q.items)-1] = nil
		q.items = q.items[:len(q.items)-1]
	}
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head > 64 && q.head > len(q.items)/2:
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
