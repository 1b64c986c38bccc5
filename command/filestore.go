package command

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileStore is a [DedupStore] kept in a directory as an append-only log.
//
// Each record is framed as a 4-byte little-endian body length, the 4-byte
// little-endian CRC-32C of the body, then the body. Every Append is synced
// before it returns. Loading stops at the first frame that is incomplete or
// fails its CRC (a write torn by a crash or power loss) and truncates the
// file there, so later appends stay readable. Compact writes a new log beside
// the old one and renames it into place, so a crash leaves one or the other.
//
// One FileStore per directory and process; it is safe for concurrent use.
type FileStore struct {
	path string

	mu   sync.Mutex
	f    *os.File // nil once closed
	size int64    // bytes of valid records in f
}

const (
	fileStoreLog  = "dedup.log"
	fileStoreTemp = "dedup.log.tmp"
	frameHeader   = 8
	recordVersion = 1
	// maxRecordBody rejects absurd lengths in a damaged frame header; a
	// response payload is at most a few hundred KiB.
	maxRecordBody = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errStoreClosed = fmt.Errorf("command: dedup store: %w", os.ErrClosed)

// OpenFileStore opens, or creates, the store in dir, creating dir if needed.
// A torn last record is dropped.
func OpenFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("command: dedup store: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, fileStoreTemp)) // a compaction interrupted by a crash
	s := &FileStore{path: filepath.Join(dir, fileStoreLog)}
	if err := s.open(); err != nil {
		return nil, err
	}
	data, err := s.read()
	if err != nil {
		s.f.Close()
		return nil, err
	}
	if _, good := decodeLog(data); good < len(data) {
		if err := s.truncate(int64(good)); err != nil {
			s.f.Close()
			return nil, err
		}
	}
	return s, nil
}

// Load returns the stored records, oldest first.
func (s *FileStore) Load() ([]DedupRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil, errStoreClosed
	}
	data, err := s.read()
	if err != nil {
		return nil, err
	}
	recs, _ := decodeLog(data[:min(int64(len(data)), s.size)])
	return recs, nil
}

// Append adds rec to the log and syncs it.
func (s *FileStore) Append(rec DedupRecord) error {
	frame := appendFrame(nil, &rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errStoreClosed
	}
	if _, err := s.f.Write(frame); err != nil {
		// Cut a partial frame off, so the next append is not hidden behind it.
		_ = s.truncate(s.size)
		return fmt.Errorf("command: dedup store: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("command: dedup store: %w", err)
	}
	s.size += int64(len(frame))
	return nil
}

// Compact replaces the log with live.
func (s *FileStore) Compact(live []DedupRecord) error {
	var data []byte
	for i := range live {
		data = appendFrame(data, &live[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errStoreClosed
	}
	tmp := filepath.Join(filepath.Dir(s.path), fileStoreTemp)
	if err := writeSynced(tmp, data); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("command: dedup store: compact: %w", err)
	}
	// Close before renaming over the file: Windows refuses to replace an open file.
	s.f.Close()
	renameErr := os.Rename(tmp, s.path)
	if renameErr == nil {
		syncDir(filepath.Dir(s.path))
	} else {
		_ = os.Remove(tmp)
	}
	if err := s.open(); err != nil {
		return err
	}
	if renameErr != nil {
		return fmt.Errorf("command: dedup store: compact: %w", renameErr)
	}
	return nil
}

// Close closes the log. Further calls return an error matching os.ErrClosed.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errStoreClosed
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("command: dedup store: %w", err)
	}
	return nil
}

// open (re)opens the log for appending and records its size.
func (s *FileStore) open() error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.f = nil
		return fmt.Errorf("command: dedup store: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		s.f = nil
		return fmt.Errorf("command: dedup store: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

func (s *FileStore) read() ([]byte, error) {
	data, err := io.ReadAll(io.NewSectionReader(s.f, 0, 1<<62))
	if err != nil {
		return nil, fmt.Errorf("command: dedup store: %w", err)
	}
	return data, nil
}

func (s *FileStore) truncate(size int64) error {
	if err := s.f.Truncate(size); err != nil {
		return fmt.Errorf("command: dedup store: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("command: dedup store: %w", err)
	}
	s.size = size
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename durable where the platform allows it; Windows does
// not sync directories, so failure is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// appendFrame appends rec's frame: length, CRC-32C, body. The body is the
// version byte, then sender, TID, method (uvarint length + bytes), seq
// (uvarint), status (varint), completion time in Unix nanoseconds (varint,
// 0 for the zero time), payload (uvarint length + bytes).
func appendFrame(dst []byte, rec *DedupRecord) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = append(dst, recordVersion)
	dst = appendBytes(dst, rec.Sender)
	dst = appendBytes(dst, rec.TID)
	dst = appendBytes(dst, rec.Method)
	dst = binary.AppendUvarint(dst, rec.Seq)
	dst = binary.AppendVarint(dst, int64(rec.Response.Status))
	var nanos int64
	if !rec.Completed.IsZero() {
		nanos = rec.Completed.UnixNano()
	}
	dst = binary.AppendVarint(dst, nanos)
	dst = appendBytes(dst, string(rec.Response.Payload))
	body := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(body, castagnoli))
	return dst
}

func appendBytes(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeLog decodes the frames in data up to the first invalid one and
// returns the records and the length of the valid prefix.
func decodeLog(data []byte) (recs []DedupRecord, good int) {
	for len(data)-good >= frameHeader {
		n := binary.LittleEndian.Uint32(data[good:])
		sum := binary.LittleEndian.Uint32(data[good+4:])
		if n > maxRecordBody || uint64(n) > uint64(len(data)-good-frameHeader) {
			break
		}
		body := data[good+frameHeader : good+frameHeader+int(n)]
		if crc32.Checksum(body, castagnoli) != sum {
			break
		}
		rec, err := decodeRecord(body)
		if err != nil {
			break
		}
		recs = append(recs, rec)
		good += frameHeader + int(n)
	}
	return recs, good
}

var errBadRecord = errors.New("command: dedup store: bad record")

func decodeRecord(b []byte) (DedupRecord, error) {
	var rec DedupRecord
	if len(b) == 0 || b[0] != recordVersion {
		return rec, errBadRecord
	}
	d := recordDecoder{b: b[1:]}
	rec.Sender = string(d.bytes())
	rec.TID = string(d.bytes())
	rec.Method = string(d.bytes())
	rec.Seq = d.uvarint()
	status := d.varint()
	nanos := d.varint()
	if payload := d.bytes(); len(payload) > 0 {
		rec.Response.Payload = append([]byte(nil), payload...)
	}
	if d.bad || len(d.b) != 0 || status < 100 || status > 599 {
		return DedupRecord{}, errBadRecord
	}
	rec.Response.Status = int(status)
	if nanos != 0 {
		rec.Completed = time.Unix(0, nanos)
	}
	return rec, nil
}

// recordDecoder reads a record body; the first failure sets bad and makes
// every later read return zero.
type recordDecoder struct {
	b   []byte
	bad bool
}

func (d *recordDecoder) uvarint() uint64 {
	if d.bad {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) varint() int64 {
	if d.bad {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) bytes() []byte {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
