package command

import "time"

// DedupRecord is one completed transaction, as persisted by a [DedupStore].
type DedupRecord struct {
	Sender    string
	TID       string
	Method    string
	Seq       uint64 // 0 if the command had none
	Completed time.Time
	Response  Response
}

// DedupStore persists the deduplication cache across restarts. The Server
// calls Load once in NewServer, then Append for every transaction it
// completes (before answering it, so that an answered command is never run
// again after a crash), and Compact when the stored records outnumber twice
// the cache size. The Server serializes its calls.
type DedupStore interface {
	// Load returns the stored records, oldest first.
	Load() ([]DedupRecord, error)
	// Append durably adds rec.
	Append(rec DedupRecord) error
	// Compact replaces the stored records with live, oldest first.
	Compact(live []DedupRecord) error
}

func recordOf(e *entry) DedupRecord {
	return DedupRecord{Sender: e.key.sender, TID: e.key.tid, Method: e.method, Seq: e.seq,
		Completed: e.completed, Response: e.resp}
}

func entryOf(r *DedupRecord) *entry {
	return &entry{key: dedupKey{sender: r.Sender, tid: r.TID}, method: r.Method, seq: r.Seq,
		completed: r.Completed, resp: r.Response}
}
