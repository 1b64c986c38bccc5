package command

import "time"

// sequencer remembers the last sequence number admitted per sender, for at
// most max senders. It is guarded by the Server's admission mutex.
type sequencer struct {
	max  int
	last map[string]seqMark
}

type seqMark struct {
	seq  uint64
	seen time.Time
}

func newSequencer(max int) *sequencer {
	return &sequencer{max: max, last: make(map[string]seqMark)}
}

// check returns a *StaleError if seq is not newer than sender's last.
func (q *sequencer) check(sender string, seq uint64) error {
	if m, ok := q.last[sender]; ok && seq <= m.seq {
		return &StaleError{Sender: sender, Seq: seq, Last: m.seq}
	}
	return nil
}

// advance records seq for sender if it is newer, forgetting the least
// recently seen sender when a new one would exceed max.
func (q *sequencer) advance(sender string, seq uint64, now time.Time) {
	m, ok := q.last[sender]
	if ok && seq <= m.seq {
		return
	}
	if !ok && len(q.last) >= q.max {
		// O(max), only when a new sender arrives at the bound.
		var oldest string
		var at time.Time
		first := true
		for s, m := range q.last {
			if first || m.seen.Before(at) {
				oldest, at, first = s, m.seen, false
			}
		}
		delete(q.last, oldest)
	}
	q.last[sender] = seqMark{seq: seq, seen: now}
}
