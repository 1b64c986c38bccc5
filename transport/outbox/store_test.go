package outbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// segmentFiles lists the segment files of dir.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func corruptErrors(drops []dropped) []*CorruptError {
	var out []*CorruptError
	for _, d := range drops {
		var ce *CorruptError
		if errors.As(d.err, &ce) {
			out = append(out, ce)
		}
	}
	return out
}

func TestDurableReopen(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir, MaxAge: -1})
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	for i := range 5 {
		if _, err := o.Put(Record{Topic: fmt.Sprint("t/", i), Payload: []byte(fmt.Sprint("p", i)), Meta: []byte{byte(i)},
			QoS: byte(i % 2), Retain: i == 3, Enqueued: at}); err != nil && !errors.Is(err, ErrOffline) {
			t.Fatal(err)
		}
	}
	// Offline, the QoS 0 records (even i) are dropped: p1 and p3 remain.
	r := &recorder{}
	_ = runUntil(t, o, r, 1, Pace{}) // acknowledges p1
	want := snapshot(o)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o2, log := open(t, Options{Dir: dir, MaxAge: -1})
	got := snapshot(o2)
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("reopened %d records, had %d, want 1", len(got), len(want))
	}
	g, w := got[0], want[0]
	if g.Seq != w.Seq || g.Topic != w.Topic || string(g.Payload) != string(w.Payload) || string(g.Meta) != string(w.Meta) ||
		g.QoS != w.QoS || g.Retain != w.Retain || !g.Enqueued.Equal(w.Enqueued) || g.Attempts != w.Attempts {
		t.Errorf("reopened %+v, want %+v", g, w)
	}
	if g.Topic != "t/3" || !g.Retain || g.QoS != 1 {
		t.Errorf("reopened %+v, want t/3 retained QoS 1", g)
	}
	if seq := put(t, o2, "next"); seq != 3 {
		t.Errorf("next seq after reopen = %d, want 3", seq)
	}
	if len(log.all()) != 0 {
		t.Errorf("drops on reopen = %v", log.all())
	}
}

func TestDurableReplayAfterReopenInOrder(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir, SegmentSize: 200})
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprint("m", i))
		put(t, o, want[i])
	}
	r := &recorder{}
	_ = runUntil(t, o, r, 20, Pace{})
	o.Close()
	o2, _ := open(t, Options{Dir: dir, SegmentSize: 200})
	r2 := &recorder{}
	_ = runUntil(t, o2, r2, 30, Pace{})
	if got := r2.sentPayloads(); !equalStrings(got, want[20:]) {
		t.Errorf("replayed %v, want %v", got, want[20:])
	}
}

func TestDurableSeqSurvivesCompaction(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir, SegmentSize: 100})
	for range 30 {
		put(t, o, "0123456789")
	}
	_ = runUntil(t, o, &recorder{}, 30, Pace{})
	if n := len(segmentFiles(t, dir)); n > 2 {
		t.Errorf("%d segment files after everything was acknowledged, want at most 2", n)
	}
	o.Close()
	o2, _ := open(t, Options{Dir: dir, SegmentSize: 100})
	if o2.Len() != 0 {
		t.Errorf("Len = %d, want 0", o2.Len())
	}
	if seq := put(t, o2, "x"); seq != 31 {
		t.Errorf("seq after reopen = %d, want 31 (never reused)", seq)
	}
}

func TestDurableAttemptsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir})
	put(t, o, "poison")
	for range 2 {
		_ = runUntil(t, o, &recorder{fail: connectionDropsOn("poison")}, 0, Pace{})
		o.ConnectionLost()
	}
	o.Close()
	o2, log := open(t, Options{Dir: dir})
	if got := snapshot(o2)[0].Attempts; got != 2 {
		t.Fatalf("Attempts after reopen = %d, want 2", got)
	}
	_ = runUntil(t, o2, &recorder{fail: connectionDropsOn("poison")}, 0, Pace{})
	o2.ConnectionLost()
	if dead := log.deadLetters(); len(dead) != 1 {
		t.Fatalf("dead letters = %v, want the poison record on its third drop", dead)
	}
	o2.Close()
	o3, _ := open(t, Options{Dir: dir})
	if o3.Len() != 0 {
		t.Errorf("quarantined record came back after reopen")
	}
}

func TestCompactionRelocatesStuckRecord(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir, SegmentSize: 256})
	put(t, o, "stuck")
	for i := range 200 {
		put(t, o, fmt.Sprint("m", i))
	}
	// Remove everything but the first record, as if it were stuck in flight.
	o.mu.Lock()
	var rest []*entry
	for i := 1; i < o.q.len(); i++ {
		rest = append(rest, o.q.at(i))
	}
	for _, e := range rest {
		o.removeAndPersistLocked([]*entry{e}, nil, false)
	}
	o.mu.Unlock()
	if n := len(segmentFiles(t, dir)); n > 4 {
		t.Errorf("%d segment files: the stuck record pins the log", n)
	}
	o.Close()
	o2, log := open(t, Options{Dir: dir, SegmentSize: 256})
	if got := payloads(snapshot(o2)); !equalStrings(got, []string{"stuck"}) {
		t.Errorf("reopened %v, want [stuck]", got)
	}
	if len(log.all()) != 0 {
		t.Errorf("drops = %v", log.all())
	}
}

func TestSyncInterval(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, Options{Dir: dir, Sync: SyncInterval, SyncInterval: 5 * time.Millisecond})
	put(t, o, "a")
	deadline := time.Now().Add(5 * time.Second)
	for {
		o.mu.Lock()
		dirty := o.store.dirty
		o.mu.Unlock()
		if !dirty {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("interval sync never ran")
		}
		time.Sleep(time.Millisecond)
	}
}

// writeRecords creates a durable outbox in dir with payloads p0..p(n-1)
// and returns the offsets at which the last record's frame starts and ends.
func writeRecords(t *testing.T, dir string, n int, opts Options) (start, end int64) {
	t.Helper()
	opts.Dir = dir
	o, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if i == n-1 {
			start = o.store.active().size
		}
		put(t, o, fmt.Sprint("payload-", i))
	}
	end = o.store.active().size
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	return start, end
}

func TestTornTailAtEveryByte(t *testing.T) {
	src := t.TempDir()
	start, end := writeRecords(t, src, 3, Options{})
	files := segmentFiles(t, src)
	if len(files) != 1 {
		t.Fatalf("%d segment files, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != end {
		t.Fatalf("file is %d bytes, want %d", len(data), end)
	}
	for cut := start; cut <= end; cut++ {
		dir := t.TempDir()
		path := filepath.Join(dir, filepath.Base(files[0]))
		if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		o, log := open(t, Options{Dir: dir})
		want := []string{"payload-0", "payload-1"}
		if cut == end {
			want = append(want, "payload-2")
		}
		if got := payloads(snapshot(o)); !equalStrings(got, want) {
			t.Fatalf("cut at %d: records %v, want %v", cut, got, want)
		}
		ce := corruptErrors(log.all())
		if torn := cut > start && cut < end; torn != (len(ce) == 1) || len(ce) != len(log.all()) {
			t.Fatalf("cut at %d: reports %v, want one *CorruptError iff the record is torn", cut, log.all())
		}
		if len(ce) == 1 && (ce[0].Offset != start || ce[0].Size != cut-start || !errors.Is(ce[0], ErrCorrupt)) {
			t.Fatalf("cut at %d: %v, want offset %d size %d", cut, ce[0], start, cut-start)
		}
		// The repaired log takes new records and reads back cleanly.
		put(t, o, "after")
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		o2, log2 := open(t, Options{Dir: dir})
		if got := payloads(snapshot(o2)); !equalStrings(got, append(want, "after")) {
			t.Fatalf("cut at %d: after repair and append: %v", cut, got)
		}
		if len(log2.all()) != 0 {
			t.Fatalf("cut at %d: second reopen reports %v", cut, log2.all())
		}
		o2.Close()
	}
}

func TestChecksumCorruptionSkipsOneRecord(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 3, Options{})
	path := segmentFiles(t, dir)[0]
	data, _ := os.ReadFile(path)
	i := strings.Index(string(data), "payload-1")
	data[i+3] ^= 0x20 // one flipped bit in the middle record's payload
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	o, log := open(t, Options{Dir: dir})
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"payload-0", "payload-2"}) {
		t.Errorf("records %v, want [payload-0 payload-2]", got)
	}
	ce := corruptErrors(log.all())
	if len(ce) != 1 || len(log.all()) != 1 || !strings.Contains(ce[0].Reason, "checksum") || ce[0].Path != path {
		t.Fatalf("reports %v, want one checksum *CorruptError", log.all())
	}
	o.Close()
	// Reported once: the damaged frame was replaced by padding.
	o2, log2 := open(t, Options{Dir: dir})
	if got := payloads(snapshot(o2)); !equalStrings(got, []string{"payload-0", "payload-2"}) || len(log2.all()) != 0 {
		t.Errorf("second reopen: records %v, reports %v", got, log2.all())
	}
}

func TestCorruptLengthCutsSegmentKeepsNextSegments(t *testing.T) {
	dir := t.TempDir()
	// About two records per segment.
	writeRecords(t, dir, 6, Options{SegmentSize: 60})
	files := segmentFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("%d segments, want at least 3", len(files))
	}
	data, _ := os.ReadFile(files[0])
	first := len(segmentMagic)
	_, n, err := readFrame(data[first:]) // the base frame
	if err != nil {
		t.Fatal(err)
	}
	data[first+n+1] ^= 0xff // the first record's length: framing lost
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 6 {
		want = append(want, fmt.Sprint("payload-", i))
	}
	o, log := open(t, Options{Dir: dir, SegmentSize: 60})
	got := payloads(snapshot(o))
	// Records of the first segment are lost and reported; later segments survive.
	if len(got) == 0 || len(got) >= 6 || !equalStrings(got, want[6-len(got):]) {
		t.Errorf("records %v, want a suffix of %v", got, want)
	}
	ce := corruptErrors(log.all())
	if len(ce) != 1 || ce[0].Offset != int64(first+n) || ce[0].Path != files[0] {
		t.Errorf("reports %v, want the first segment cut after its base frame", log.all())
	}
}

func TestBadSegmentHeader(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 1, Options{})
	bad := filepath.Join(dir, segmentName(0))
	if err := os.WriteFile(bad, []byte("definitely not a segment"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, log := open(t, Options{Dir: dir})
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"payload-0"}) {
		t.Errorf("records %v", got)
	}
	if ce := corruptErrors(log.all()); len(ce) != 1 || ce[0].Path != bad {
		t.Errorf("reports %v, want the bad file", log.all())
	}
	if _, err := os.Stat(bad + ".corrupt"); err != nil {
		t.Errorf("bad file not set aside: %v", err)
	}
}

func TestTornSegmentCreationIsRemoved(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 1, Options{})
	torn := filepath.Join(dir, segmentName(9))
	if err := os.WriteFile(torn, []byte(segmentMagic[:3]), 0o600); err != nil {
		t.Fatal(err)
	}
	o, log := open(t, Options{Dir: dir})
	if o.Len() != 1 || len(log.all()) != 0 {
		t.Errorf("Len = %d, reports %v", o.Len(), log.all())
	}
	if _, err := os.Stat(torn); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("torn segment kept: %v", err)
	}
	if seq := put(t, o, "x"); seq != 2 {
		t.Errorf("seq = %d, want 2", seq)
	}
}

func TestUnsupportedVersion(t *testing.T) {
	dir := t.TempDir()
	future := segmentMagic[:magicPrefixLen] + "\x02"
	if err := os.WriteFile(filepath.Join(dir, segmentName(1)), []byte(future+"whatever"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("Open = %v, want ErrUnsupportedFormat", err)
	}
}

func TestDuplicateFromInterruptedCompactionIsMerged(t *testing.T) {
	// A crash between copying a record forward and deleting the old
	// segment leaves the record in two segments.
	dir := t.TempDir()
	writeRecords(t, dir, 1, Options{})
	data, err := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, segmentName(0))
	if err := os.WriteFile(old, data, 0o600); err != nil {
		t.Fatal(err)
	}
	o, log := open(t, Options{Dir: dir})
	if got := payloads(snapshot(o)); !equalStrings(got, []string{"payload-0"}) || len(log.all()) != 0 {
		t.Errorf("records %v, reports %v; want payload-0 once", got, log.all())
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the superseded segment was not deleted: %v", err)
	}
	_ = runUntil(t, o, &recorder{}, 1, Pace{})
	o.Close()
	o2, _ := open(t, Options{Dir: dir})
	if o2.Len() != 0 {
		t.Errorf("acknowledged record came back: %v", payloads(snapshot(o2)))
	}
}
