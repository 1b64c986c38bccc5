package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segment is one segment file.
type segment struct {
	id        uint64
	path      string
	size      int64 // bytes written (and readable)
	live      int   // queued records whose latest put frame is here
	liveBytes int64 // sum of those frames' sizes
}

// diskStore is the durable half of an Outbox: an append-only log split in
// segment files. It is not safe for concurrent use; the Outbox's lock
// guards it.
type diskStore struct {
	dir         string
	policy      SyncPolicy
	segmentSize int64
	segs        []*segment // increasing id; the last is the active one
	f           *os.File   // active segment, written at its end with WriteAt (not O_APPEND: on Windows an append-only handle can be neither truncated nor flushed); nil after a failed rotation
	buf         []byte     // frames of the batch being built
	dirty       bool       // written since the last fsync
}

const segmentExt = ".seg"

func segmentName(id uint64) string { return fmt.Sprintf("%016x%s", id, segmentExt) }

// parseSegmentName returns the id of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	id, err := strconv.ParseUint(hex, 16, 64)
	return id, err == nil
}

// loadResult is what openStore read back.
type loadResult struct {
	entries []*entry // increasing Seq
	nextSeq uint64
	corrupt []error // *CorruptError, one per damaged range
}

// openStore opens (creating if needed) the durable directory, reads every
// segment back, repairs damage (torn tails truncated, damaged frames in
// the middle replaced by padding, unreadable files set aside) and opens
// the last segment for appending.
func openStore(opts Options) (*diskStore, loadResult, error) {
	s := &diskStore{dir: opts.Dir, policy: opts.Sync, segmentSize: opts.SegmentSize}
	var res loadResult
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, res, fmt.Errorf("outbox: %w", err)
	}
	dirents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, res, fmt.Errorf("outbox: %w", err)
	}
	var ids []uint64
	for _, de := range dirents {
		if id, ok := parseSegmentName(de.Name()); ok && de.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)

	l := loader{puts: map[uint64]*entry{}, dels: map[uint64]bool{}, attempts: map[uint64]int{}, nextSeq: 1}
	lastID := uint64(0)
	for _, id := range ids {
		lastID = id
		seg := &segment{id: id, path: filepath.Join(s.dir, segmentName(id))}
		keep, err := l.loadSegment(seg)
		if err != nil {
			return nil, res, err
		}
		if keep {
			s.segs = append(s.segs, seg)
		}
	}
	res.entries, res.nextSeq, res.corrupt = l.finish()

	// Append to the last segment if it has room, else start a new one.
	if n := len(s.segs); n > 0 && s.segs[n-1].size < s.segmentSize {
		last := s.segs[n-1]
		f, err := os.OpenFile(last.path, os.O_WRONLY, 0)
		if err != nil {
			return nil, res, fmt.Errorf("outbox: %w", err)
		}
		s.f = f
	} else if err := s.rotate(lastID, res.nextSeq); err != nil {
		return nil, res, err
	}
	s.dropDeadSegments()
	return s, res, nil
}

// loader accumulates the frames of all segments.
type loader struct {
	puts     map[uint64]*entry
	dels     map[uint64]bool
	attempts map[uint64]int
	nextSeq  uint64
	corrupt  []error
}

// loadSegment reads one segment file. It reports whether the segment is
// kept; torn or unreadable files are removed or set aside.
func (l *loader) loadSegment(seg *segment) (bool, error) {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	switch {
	case len(data) < len(segmentMagic) && bytes.HasPrefix([]byte(segmentMagic), data):
		// Torn while being created: it never held a record.
		if err := os.Remove(seg.path); err != nil {
			return false, fmt.Errorf("outbox: %w", err)
		}
		return false, nil
	case len(data) >= len(segmentMagic) && string(data[:magicPrefixLen]) == segmentMagic[:magicPrefixLen] &&
		data[magicPrefixLen] != segmentMagic[magicPrefixLen]:
		return false, fmt.Errorf("%w: %s has version %d, this package reads %d",
			ErrUnsupportedFormat, seg.path, data[magicPrefixLen], segmentMagic[magicPrefixLen])
	case len(data) < len(segmentMagic) || string(data[:len(segmentMagic)]) != segmentMagic:
		// Not readable as a segment: keep the bytes for inspection, out of the way.
		l.corrupt = append(l.corrupt, &CorruptError{Path: seg.path, Size: int64(len(data)), Reason: "bad segment header (file set aside as .corrupt)"})
		if err := os.Rename(seg.path, seg.path+".corrupt"); err != nil {
			return false, fmt.Errorf("outbox: %w", err)
		}
		return false, nil
	}

	off := len(segmentMagic)
	for off < len(data) {
		body, n, err := readFrame(data[off:])
		if err == nil {
			if err = l.apply(seg, body, int64(n)); err == nil {
				off += n
				continue
			}
		}
		// A frame that passed its checksum but does not decode, or a
		// damaged frame whose length is intact (a valid frame follows it):
		// replace it by padding, so it is reported once, and go on.
		// Otherwise the rest of the file cannot be framed: cut it off.
		if n > 0 && off+n <= len(data) {
			_, _, nextErr := readFrame(data[off+n:])
			if body != nil || (off+n < len(data) && nextErr == nil) {
				l.corrupt = append(l.corrupt, &CorruptError{Path: seg.path, Offset: int64(off), Size: int64(n), Reason: err.Error()})
				if err := overwrite(seg.path, int64(off), appendPad(nil, n)); err != nil {
					return false, err
				}
				off += n
				continue
			}
		}
		l.corrupt = append(l.corrupt, &CorruptError{Path: seg.path, Offset: int64(off), Size: int64(len(data) - off), Reason: err.Error()})
		if err := truncate(seg.path, int64(off)); err != nil {
			return false, err
		}
		data = data[:off]
	}
	seg.size = int64(len(data))
	return true, nil
}

// apply records the effect of one frame.
func (l *loader) apply(seg *segment, body []byte, frameSize int64) error {
	kind, body := frameKind(body[0]), body[1:]
	switch kind {
	case kindPad:
		return nil
	case kindBase:
		next, err := decodeSeq(body)
		if err != nil {
			return err
		}
		l.nextSeq = max(l.nextSeq, next)
	case kindPut:
		rec, err := decodePut(body)
		if err != nil {
			return err
		}
		if old := l.puts[rec.Seq]; old != nil {
			// A copy made by compaction: the newest location wins.
			old.seg.live--
			old.seg.liveBytes -= old.frameSize
			rec.Attempts = max(rec.Attempts, old.rec.Attempts)
		}
		e := &entry{rec: rec, size: rec.Size(), seg: seg, frameSize: frameSize}
		seg.live++
		seg.liveBytes += frameSize
		l.puts[rec.Seq] = e
		l.nextSeq = max(l.nextSeq, rec.Seq+1)
	case kindDel:
		seq, err := decodeSeq(body)
		if err != nil {
			return err
		}
		l.dels[seq] = true
		l.nextSeq = max(l.nextSeq, seq+1)
	case kindAttempts:
		seq, n, err := decodeAttempts(body)
		if err != nil {
			return err
		}
		l.attempts[seq] = max(l.attempts[seq], n)
	default:
		return errBadBody
	}
	return nil
}

// finish applies removals and attempt counts and returns the live records.
func (l *loader) finish() ([]*entry, uint64, []error) {
	entries := make([]*entry, 0, len(l.puts))
	for seq, e := range l.puts {
		if l.dels[seq] {
			e.seg.live--
			e.seg.liveBytes -= e.frameSize
			continue
		}
		e.rec.Attempts = max(e.rec.Attempts, l.attempts[seq])
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *entry) int {
		switch {
		case a.rec.Seq < b.rec.Seq:
			return -1
		case a.rec.Seq > b.rec.Seq:
			return 1
		}
		return 0
	})
	return entries, l.nextSeq, l.corrupt
}

// overwrite writes b at off in the file and syncs it.
func overwrite(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("outbox: repair: %w", err)
	}
	_, err = f.WriteAt(b, off)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("outbox: repair: %w", err)
	}
	return nil
}

// truncate cuts the file at size and syncs it.
func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("outbox: repair: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("outbox: repair: %w", err)
	}
	return nil
}

// syncDir makes a new directory entry durable. Best effort: not every
// platform can sync a directory (Windows cannot, and does not need to).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func (s *diskStore) active() *segment { return s.segs[len(s.segs)-1] }

// rotate closes the active segment and starts segment lastID+1, whose
// base frame records nextSeq so that sequence numbers survive even when
// every older segment is deleted.
func (s *diskStore) rotate(lastID, nextSeq uint64) error {
	if s.f != nil {
		err := s.syncIfDirty(s.policy != SyncNever)
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
		s.f = nil
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	seg := &segment{id: lastID + 1}
	seg.path = filepath.Join(s.dir, segmentName(seg.id))
	f, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	hdr := appendSeqFrame([]byte(segmentMagic), kindBase, nextSeq)
	if _, err = f.WriteAt(hdr, 0); err == nil && s.policy != SyncNever {
		err = f.Sync()
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(seg.path)
		return fmt.Errorf("outbox: %w", err)
	}
	if s.policy != SyncNever {
		syncDir(s.dir)
	}
	seg.size = int64(len(hdr))
	s.segs = append(s.segs, seg)
	s.f = f
	s.dirty = false
	return nil
}

// begin starts a new batch of frames.
func (s *diskStore) begin() { s.buf = s.buf[:0] }

// addPut adds a put frame and returns its size.
func (s *diskStore) addPut(rec *Record) int64 {
	n := len(s.buf)
	s.buf = appendPut(s.buf, rec)
	return int64(len(s.buf) - n)
}

func (s *diskStore) addDel(seq uint64)             { s.buf = appendSeqFrame(s.buf, kindDel, seq) }
func (s *diskStore) addAttempts(seq uint64, n int) { s.buf = appendAttempts(s.buf, seq, n) }

// commit appends the batch to the active segment with one write, rotating
// first if the segment is full, and syncs as the policy says (always if
// forceSync). It returns the segment written. On error nothing of the
// batch remains readable.
func (s *diskStore) commit(nextSeq uint64, forceSync bool) (*segment, error) {
	if len(s.buf) == 0 {
		return s.active(), nil
	}
	if a := s.active(); s.f == nil || a.size >= s.segmentSize {
		if err := s.rotate(a.id, nextSeq); err != nil {
			return nil, err
		}
	}
	a := s.active()
	n, err := s.f.WriteAt(s.buf, a.size)
	if err == nil {
		s.dirty = true
		err = s.syncIfDirty(forceSync || s.policy == SyncAlways)
	}
	if err != nil {
		// Cut the partial or unsynced frames off so that frames appended
		// later stay readable; if even that fails, write elsewhere.
		if terr := s.f.Truncate(a.size); terr != nil {
			_ = s.f.Close()
			s.f = nil
		}
		return nil, fmt.Errorf("outbox: %w", err)
	}
	a.size += int64(n)
	return a, nil
}

func (s *diskStore) syncIfDirty(do bool) error {
	if !do || !s.dirty || s.f == nil {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// sync flushes written frames to stable storage.
func (s *diskStore) sync() error {
	if err := s.syncIfDirty(true); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// track accounts e's put frame to seg.
func (s *diskStore) track(e *entry, seg *segment, frameSize int64) {
	e.seg, e.frameSize = seg, frameSize
	seg.live++
	seg.liveBytes += frameSize
}

// untrack removes e's frame from its segment's accounting.
func (s *diskStore) untrack(e *entry) {
	if e.seg != nil {
		e.seg.live--
		e.seg.liveBytes -= e.frameSize
		e.seg = nil
	}
}

// dropDeadSegments deletes the oldest segments while they hold no live
// record. Only a prefix is deleted: a segment's removal frames refer to
// records of the same or older segments, so deleting a younger segment
// first could resurrect an older record.
func (s *diskStore) dropDeadSegments() {
	for len(s.segs) > 1 && s.segs[0].live == 0 {
		if err := os.Remove(s.segs[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return // try again after the next removal
		}
		s.segs = s.segs[1:]
	}
}

// compact deletes dead segments and, when the oldest segment is mostly
// dead while the next one is already at least half dead (so the oldest is
// pinned by a few stuck records rather than by a backlog that is
// draining), copies its live records to the active segment and deletes
// it. queued lists the queued entries.
func (s *diskStore) compact(q *queue, nextSeq uint64) error {
	s.dropDeadSegments()
	if len(s.segs) < 3 {
		return nil
	}
	old, next := s.segs[0], s.segs[1]
	if old.liveBytes*4 >= old.size || next.liveBytes*2 >= next.size {
		return nil
	}
	s.begin()
	var moved []*entry
	var sizes []int64
	for i := 0; i < q.len() && len(moved) < old.live; i++ {
		if e := q.at(i); e.seg == old {
			moved = append(moved, e)
			sizes = append(sizes, s.addPut(&e.rec))
		}
	}
	// Synced before the old copy is deleted, whatever the policy, unless
	// the policy is SyncNever: the copy must not be the only one in cache.
	seg, err := s.commit(nextSeq, s.policy != SyncNever)
	if err != nil {
		return err
	}
	for i, e := range moved {
		s.untrack(e)
		s.track(e, seg, sizes[i])
	}
	s.dropDeadSegments()
	return nil
}

// close syncs and closes the active segment.
func (s *diskStore) close() error {
	if s.f == nil {
		return nil
	}
	err := s.syncIfDirty(true)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}
