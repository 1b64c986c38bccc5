package command

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func testRecord(tid string, seq uint64) DedupRecord {
	return DedupRecord{Sender: "app", TID: tid, Method: "relay.set", Seq: seq,
		Completed: time.Unix(1750000000, 123456789), Response: Response{Status: 200, Payload: []byte(`{"tid":"` + tid + `"}`)}}
}

func recordsEqual(a, b DedupRecord) bool {
	return a.Sender == b.Sender && a.TID == b.TID && a.Method == b.Method && a.Seq == b.Seq &&
		a.Completed.Equal(b.Completed) && a.Response.Status == b.Response.Status && bytes.Equal(a.Response.Payload, b.Response.Payload)
}

func mustOpenStore(t *testing.T, dir string) *FileStore {
	t.Helper()
	st, err := OpenFileStore(dir)
	if err != nil {
		t.Fatalf("OpenFileStore: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustLoad(t *testing.T, st *FileStore) []DedupRecord {
	t.Helper()
	recs, err := st.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return recs
}

func TestFileStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "dedup")
	st := mustOpenStore(t, dir)
	if recs := mustLoad(t, st); len(recs) != 0 {
		t.Fatalf("new store holds %d records", len(recs))
	}
	want := []DedupRecord{testRecord("a", 1), testRecord("b", 0), {TID: "c", Method: "m", Response: Response{Status: 204}}}
	for _, r := range want {
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	got := mustLoad(t, mustOpenStore(t, dir))
	if len(got) != len(want) {
		t.Fatalf("loaded %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !recordsEqual(got[i], want[i]) {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFileStoreTornRecord(t *testing.T) {
	tests := []struct {
		name string
		tear func(t *testing.T, path string, lastFrame int)
	}{
		{"truncated body", func(t *testing.T, path string, last int) { truncateBy(t, path, 3) }},
		{"truncated header", func(t *testing.T, path string, last int) { truncateBy(t, path, int64(last-5)) }},
		{"corrupt byte", func(t *testing.T, path string, last int) {
			data, _ := os.ReadFile(path)
			data[len(data)-2] ^= 0xff
			os.WriteFile(path, data, 0o600)
		}},
		{"garbage tail", func(t *testing.T, path string, last int) {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.Write([]byte{0xff, 0xff, 0xff, 0x7f, 1, 2})
			f.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := mustOpenStore(t, dir)
			st.Append(testRecord("a", 1))
			st.Append(testRecord("b", 2))
			last := len(appendFrame(nil, ptr(testRecord("c", 3))))
			st.Append(testRecord("c", 3))
			st.Close()
			path := filepath.Join(dir, fileStoreLog)
			tt.tear(t, path, last)

			st = mustOpenStore(t, dir)
			recs := mustLoad(t, st)
			wantN := 2
			if tt.name == "garbage tail" {
				wantN = 3 // the garbage follows an intact record
			}
			if len(recs) != wantN || recs[0].TID != "a" || recs[1].TID != "b" {
				t.Fatalf("loaded %d records %+v, want the %d intact ones", len(recs), recs, wantN)
			}
			// The torn tail was cut off: a new record after it is readable.
			if err := st.Append(testRecord("d", 4)); err != nil {
				t.Fatal(err)
			}
			st.Close()
			recs = mustLoad(t, mustOpenStore(t, dir))
			if len(recs) != wantN+1 || recs[wantN].TID != "d" {
				t.Fatalf("after reopening: %d records, last %+v", len(recs), recs[len(recs)-1])
			}
		})
	}
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-n); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestFileStoreCompact(t *testing.T) {
	dir := t.TempDir()
	st := mustOpenStore(t, dir)
	for _, tid := range []string{"a", "b", "c", "d"} {
		st.Append(testRecord(tid, 0))
	}
	before, _ := os.Stat(filepath.Join(dir, fileStoreLog))
	if err := st.Compact([]DedupRecord{testRecord("c", 0), testRecord("d", 0)}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(filepath.Join(dir, fileStoreLog))
	if after.Size() >= before.Size() {
		t.Fatalf("compaction did not shrink the log: %d → %d bytes", before.Size(), after.Size())
	}
	if err := st.Append(testRecord("e", 0)); err != nil { // appends go to the new log
		t.Fatal(err)
	}
	recs := mustLoad(t, st)
	if len(recs) != 3 || recs[0].TID != "c" || recs[2].TID != "e" {
		t.Fatalf("after compaction: %+v", recs)
	}
	if _, err := os.Stat(filepath.Join(dir, fileStoreTemp)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}

func TestFileStoreLeftoverTempIgnored(t *testing.T) {
	dir := t.TempDir()
	st := mustOpenStore(t, dir)
	st.Append(testRecord("a", 0))
	st.Close()
	// A crash during compaction leaves a temporary file; the log is intact.
	os.WriteFile(filepath.Join(dir, fileStoreTemp), []byte("half written"), 0o600)
	recs := mustLoad(t, mustOpenStore(t, dir))
	if len(recs) != 1 || recs[0].TID != "a" {
		t.Fatalf("loaded %+v", recs)
	}
	if _, err := os.Stat(filepath.Join(dir, fileStoreTemp)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("leftover temporary file not removed")
	}
}

func TestFileStoreClosed(t *testing.T) {
	st := mustOpenStore(t, t.TempDir())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Append":  st.Append(testRecord("a", 0)),
		"Compact": st.Compact(nil),
		"Close":   st.Close(),
	} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close = %v, want os.ErrClosed", name, err)
		}
	}
	if _, err := st.Load(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Load after Close = %v", err)
	}
}

func TestServerDedupSurvivesReboot(t *testing.T) {
	dir := t.TempDir()
	var runs atomic.Int64
	boot := func() (*Server, *FileStore) {
		st, err := OpenFileStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		return mustServer(t, counting(&runs), WithDedupStore(st), WithOrdering(nil)), st
	}
	s, st := boot()
	first := s.Serve(t.Context(), &Request{Method: "relay.set", TID: "t1", Sender: "app", Seq: 7})
	wantStatus(t, first, StatusOK)
	s.Serve(t.Context(), &Request{Method: "relay.set", TID: "t2", Sender: "app", Seq: 8})
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Reboot: a new Server over the same directory.
	s, st = boot()
	defer st.Close()
	dup := s.Serve(t.Context(), &Request{Method: "relay.set", TID: "t1", Sender: "app", Seq: 7})
	if dup.Status != first.Status || string(dup.Payload) != string(first.Payload) {
		t.Fatalf("duplicate after reboot got %d %s, want %d %s", dup.Status, dup.Payload, first.Status, first.Payload)
	}
	if runs.Load() != 2 {
		t.Fatalf("handler ran %d times, want 2: the reboot repeated an effect", runs.Load())
	}
	// Ordering state was rebuilt from the stored records.
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "relay.set", TID: "t0", Sender: "app", Seq: 8}), StatusConflict)
	wantStatus(t, s.Serve(t.Context(), &Request{Method: "relay.set", TID: "t3", Sender: "app", Seq: 9}), StatusOK)
}

func TestServerDedupSurvivesTornRecord(t *testing.T) {
	dir := t.TempDir()
	var runs atomic.Int64
	st := mustOpenStore(t, dir)
	s := mustServer(t, counting(&runs), WithDedupStore(st))
	s.Serve(t.Context(), &Request{Method: "m", TID: "kept"})
	s.Serve(t.Context(), &Request{Method: "m", TID: "torn"})
	st.Close()
	truncateBy(t, filepath.Join(dir, fileStoreLog), 1) // power lost while writing "torn"

	st = mustOpenStore(t, dir)
	s = mustServer(t, counting(&runs), WithDedupStore(st))
	if got := s.Serve(t.Context(), &Request{Method: "m", TID: "kept"}); string(got.Payload) != `{"n":1}` {
		t.Fatalf("kept answered %s, want the stored {\"n\":1}", got.Payload)
	}
	if got := s.Serve(t.Context(), &Request{Method: "m", TID: "torn"}); string(got.Payload) != `{"n":3}` {
		t.Fatalf("torn answered %s, want a new run", got.Payload)
	}
}

func TestServerCompactsStore(t *testing.T) {
	dir := t.TempDir()
	st := mustOpenStore(t, dir)
	const size = 4
	s := mustServer(t, counting(new(atomic.Int64)), WithDedupStore(st), WithDedupSize(size))
	for i := 0; i < 5*size; i++ {
		s.Serve(t.Context(), &Request{Method: "m", TID: string(rune('a' + i))})
	}
	recs := mustLoad(t, st)
	if len(recs) > 2*size+1 {
		t.Fatalf("store holds %d records, want at most %d", len(recs), 2*size+1)
	}
	// The newest size records are all there.
	last := recs[len(recs)-size:]
	for i, r := range last {
		if want := string(rune('a' + 4*size + i)); r.TID != want {
			t.Fatalf("record %d = %q, want %q", i, r.TID, want)
		}
	}
}

func TestServerCompactsExpiredOnLoad(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	st := mustOpenStore(t, dir)
	s := mustServer(t, counting(new(atomic.Int64)), WithDedupStore(st), WithClock(clock.Now), WithDedupTTL(time.Minute))
	s.Serve(t.Context(), &Request{Method: "m", TID: "old", Deadline: clock.Now().Add(time.Second)})
	clock.Advance(2 * time.Minute)
	s.Serve(t.Context(), &Request{Method: "m", TID: "new", Deadline: clock.Now().Add(time.Second)})
	st.Close()

	st = mustOpenStore(t, dir)
	mustServer(t, counting(new(atomic.Int64)), WithDedupStore(st), WithClock(clock.Now), WithDedupTTL(time.Minute))
	recs := mustLoad(t, st)
	if len(recs) != 1 || recs[0].TID != "new" {
		t.Fatalf("after load the store holds %+v, want only \"new\"", recs)
	}
}

// failingStore fails every call.
type failingStore struct{ loadErr error }

func (f failingStore) Load() ([]DedupRecord, error) { return nil, f.loadErr }
func (failingStore) Append(DedupRecord) error       { return errors.New("disk full") }
func (failingStore) Compact([]DedupRecord) error    { return errors.New("disk full") }

func TestServerStoreFailures(t *testing.T) {
	if _, err := NewServer(counting(new(atomic.Int64)), WithDedupStore(failingStore{loadErr: os.ErrPermission})); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("NewServer with a failing Load = %v", err)
	}
	log, logs := newTestLogger()
	var runs atomic.Int64
	s := mustServer(t, counting(&runs), WithDedupStore(failingStore{}), WithLogger(log))
	// The effect happened: the command is answered and still deduplicated in memory.
	wantStatus(t, s.Serve(context.Background(), &Request{Method: "m", TID: "t"}), StatusOK)
	wantStatus(t, s.Serve(context.Background(), &Request{Method: "m", TID: "t"}), StatusOK)
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
	if !bytes.Contains([]byte(logs.String()), []byte("disk full")) {
		t.Fatalf("store failure not logged: %s", logs.String())
	}
}

// FuzzDecodeLog: the log decoder never panics, its valid prefix is within
// the input, and what it accepts re-encodes to records that decode the same.
// The input is also tried as a record body inside a well-formed frame, so the
// fuzzer reaches the record decoder past the CRC check.
func FuzzDecodeLog(f *testing.F) {
	f.Add(appendFrame(nil, ptr(testRecord("a", 1))))
	f.Add(appendFrame(appendFrame(nil, ptr(testRecord("a", 1))), ptr(testRecord("b", 2)))[:40])
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLog(t, data)
		framed := make([]byte, frameHeader, frameHeader+len(data))
		binary.LittleEndian.PutUint32(framed, uint32(len(data)))
		binary.LittleEndian.PutUint32(framed[4:], crc32.Checksum(data, castagnoli))
		checkLog(t, append(framed, data...))
	})
}

func checkLog(t *testing.T, data []byte) {
	recs, good := decodeLog(data)
	if good < 0 || good > len(data) {
		t.Fatalf("valid prefix %d of %d bytes", good, len(data))
	}
	var again []byte
	for i := range recs {
		again = appendFrame(again, &recs[i])
	}
	recs2, good2 := decodeLog(again)
	if good2 != len(again) || len(recs2) != len(recs) {
		t.Fatalf("re-encoded %d records decode as %d (%d of %d bytes)", len(recs), len(recs2), good2, len(again))
	}
	for i := range recs {
		if !recordsEqual(recs[i], recs2[i]) {
			t.Fatalf("record %d changed: %+v → %+v", i, recs[i], recs2[i])
		}
	}
}
