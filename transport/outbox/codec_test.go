package outbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPutFrameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
	}{
		{"minimal", Record{Seq: 1, Topic: "t", Enqueued: time.Unix(0, 0)}},
		{"full", Record{Seq: 1 << 40, Topic: "devices/d1/messages/events/", Payload: []byte(`{"a":1}`), QoS: 1, Retain: true,
			Meta: []byte("$.ct=application%2Fjson"), Enqueued: time.Date(2025, 3, 4, 5, 6, 7, 999999999, time.UTC), Attempts: 2}},
		{"before 1970", Record{Seq: 7, Topic: "t", Payload: []byte{0}, Enqueued: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC)}},
		{"far future", Record{Seq: 8, Topic: "t", Enqueued: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"binary payload", Record{Seq: 9, Topic: "t", Payload: bytes.Repeat([]byte{0, 0xff}, 1000), Enqueued: time.Unix(1, 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := appendPut(nil, &tc.rec)
			if int64(len(frame)) > putFrameSize(&tc.rec) {
				t.Errorf("frame is %d bytes, putFrameSize says at most %d", len(frame), putFrameSize(&tc.rec))
			}
			body, n, err := readFrame(append(frame, 1, 2, 3)) // followed by other bytes
			if err != nil || n != len(frame) || frameKind(body[0]) != kindPut {
				t.Fatalf("readFrame = kind %d, %d, %v; want put, %d, nil", body[0], n, err, len(frame))
			}
			got, err := decodePut(body[1:])
			if err != nil {
				t.Fatal(err)
			}
			if got.Seq != tc.rec.Seq || got.Topic != tc.rec.Topic || !bytes.Equal(got.Payload, tc.rec.Payload) ||
				!bytes.Equal(got.Meta, tc.rec.Meta) || got.QoS != tc.rec.QoS || got.Retain != tc.rec.Retain ||
				!got.Enqueued.Equal(tc.rec.Enqueued) || got.Attempts != tc.rec.Attempts {
				t.Errorf("decoded %+v, want %+v", got, tc.rec)
			}
			if len(got.Payload) > 0 && &got.Payload[0] == &body[len(body)-len(got.Payload)] {
				t.Error("decoded payload aliases the file buffer")
			}
		})
	}
}

func TestSmallFramesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
		kind  frameKind
		seq   uint64
		n     int
	}{
		{"del", appendSeqFrame(nil, kindDel, 300), kindDel, 300, -1},
		{"base", appendSeqFrame(nil, kindBase, 1), kindBase, 1, -1},
		{"attempts", appendAttempts(nil, 5, 3), kindAttempts, 5, 3},
	} {
		body, _, err := readFrame(tc.frame)
		if err != nil || frameKind(body[0]) != tc.kind {
			t.Fatalf("%s: readFrame: %v", tc.name, err)
		}
		if tc.kind == kindAttempts {
			seq, n, err := decodeAttempts(body[1:])
			if err != nil || seq != tc.seq || n != tc.n {
				t.Errorf("%s: decoded %d, %d, %v", tc.name, seq, n, err)
			}
			continue
		}
		if seq, err := decodeSeq(body[1:]); err != nil || seq != tc.seq {
			t.Errorf("%s: decoded %d, %v", tc.name, seq, err)
		}
	}
	pad := appendPad(nil, 40)
	if body, n, err := readFrame(pad); err != nil || n != 40 || frameKind(body[0]) != kindPad {
		t.Errorf("pad: %d, %v", n, err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	good := appendSeqFrame(nil, kindDel, 1)
	withLen := func(n uint32) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b, n)
		return b
	}
	flipped := slices.Clone(good)
	flipped[len(flipped)-1] ^= 1
	badCRC := slices.Clone(good)
	badCRC[5] ^= 1
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, errShortHeader},
		{"short header", good[:7], errShortHeader},
		{"zero length", withLen(0), errBadLength},
		{"huge length", withLen(maxFrameBody + 1), errBadLength},
		{"torn body", good[:len(good)-1], errShortBody},
		{"length beyond data", withLen(100), errShortBody},
		{"flipped body bit", flipped, errChecksum},
		{"flipped checksum bit", badCRC, errChecksum},
	} {
		if _, _, err := readFrame(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecodeRejectsMalformedBodies(t *testing.T) {
	rec := Record{Seq: 1, Topic: "t", Payload: []byte("p"), Enqueued: time.Unix(1, 0)}
	valid := appendPut(nil, &rec)[frameHeaderSize+1:]
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"truncated", valid[:4]},
		{"seq 0", append([]byte{0}, valid[1:]...)},
		{"topic length beyond body", []byte{1, 2, 0, 0, 0, 0, 100}},
	} {
		if _, err := decodePut(tc.body); !errors.Is(err, errBadBody) {
			t.Errorf("decodePut %s: %v, want errBadBody", tc.name, err)
		}
	}
	if _, err := decodeSeq([]byte{1, 2}); !errors.Is(err, errBadBody) {
		t.Errorf("decodeSeq with trailing bytes: %v", err)
	}
	if _, _, err := decodeAttempts([]byte{1}); !errors.Is(err, errBadBody) {
		t.Errorf("decodeAttempts truncated: %v", err)
	}
}

// FuzzOpenSegment opens a directory holding one arbitrary segment file.
// Open must not fail or panic (except on a future format version), what
// it reads back must be well formed and in order, its repair must be
// complete (a second Open reads the same records and reports nothing),
// and the repaired log must take new records.
func FuzzOpenSegment(f *testing.F) {
	f.Add([]byte(segmentMagic))
	valid := appendSeqFrame([]byte(segmentMagic), kindBase, 1)
	valid = appendPut(valid, &Record{Seq: 1, Topic: "a", Payload: []byte("x"), QoS: 1, Enqueued: time.Unix(1, 0)})
	valid = appendPut(valid, &Record{Seq: 2, Topic: "b", Meta: []byte("m"), Enqueued: time.Unix(2, 0)})
	valid = appendSeqFrame(valid, kindDel, 1)
	valid = appendAttempts(valid, 2, 1)
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := Options{Dir: dir, Sync: SyncNever, MaxAge: -1, MaxMessages: -1, MaxBytes: -1, OnDrop: func(Record, error) {}}
		o, err := Open(opts)
		if errors.Is(err, ErrUnsupportedFormat) {
			return
		}
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		first := snapshot(o)
		for i, r := range first {
			if r.Seq == 0 || r.Topic == "" || r.QoS > 1 || (i > 0 && r.Seq <= first[i-1].Seq) {
				t.Fatalf("bad record %d: %+v", i, r)
			}
		}
		seq, err := o.Put(Record{Topic: "new", Payload: []byte("n"), QoS: 1})
		if err != nil {
			t.Fatalf("Put after Open: %v", err)
		}
		if len(first) > 0 && seq <= first[len(first)-1].Seq {
			t.Fatalf("new seq %d not after %d", seq, first[len(first)-1].Seq)
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		var reports []error
		opts.OnDrop = func(_ Record, err error) { reports = append(reports, err) }
		o2, err := Open(opts)
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer o2.Close()
		second := snapshot(o2)
		if len(reports) != 0 {
			t.Fatalf("second Open reported %v", reports)
		}
		if len(second) != len(first)+1 || second[len(second)-1].Seq != seq || string(second[len(second)-1].Payload) != "n" {
			t.Fatalf("second Open read %d records (last %+v), want the %d first plus the new one", len(second), second[len(second)-1], len(first))
		}
		for i := range first {
			if second[i].Seq != first[i].Seq || !bytes.Equal(second[i].Payload, first[i].Payload) {
				t.Fatalf("record %d changed across reopen: %+v then %+v", i, first[i], second[i])
			}
		}
	})
}

// FuzzDecodePut decodes arbitrary put bodies: no panic, and whatever
// decodes re-encodes to a body that decodes to the same record.
func FuzzDecodePut(f *testing.F) {
	rec := Record{Seq: 3, Topic: "t/1", Payload: []byte("p"), Meta: []byte("m"), QoS: 1, Retain: true, Enqueued: time.Unix(5, 6), Attempts: 1}
	f.Add(appendPut(nil, &rec)[frameHeaderSize+1:])
	f.Add([]byte{1, 0, 0, 0, 0, 0, 1, 't'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		r1, err := decodePut(body)
		if err != nil {
			return
		}
		r2, err := decodePut(appendPut(nil, &r1)[frameHeaderSize+1:])
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if r1.Seq != r2.Seq || r1.Topic != r2.Topic || !bytes.Equal(r1.Payload, r2.Payload) || !bytes.Equal(r1.Meta, r2.Meta) ||
			r1.QoS != r2.QoS || r1.Retain != r2.Retain || !r1.Enqueued.Equal(r2.Enqueued) || r1.Attempts != r2.Attempts {
			t.Fatalf("round trip: %+v then %+v", r1, r2)
		}
	})
}
