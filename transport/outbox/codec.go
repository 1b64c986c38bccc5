package outbox

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"time"
)

// Segment file layout: segmentMagic, then frames. A frame is
//
//	uint32 LE  body length (1..maxFrameBody)
//	uint32 LE  CRC-32C of the 4 length bytes followed by the body
//	body       kind byte, then the kind's fields
//
// Fields are uvarints unless noted. The CRC covers the length so that a
// damaged length is detected instead of misframing the rest.
const (
	segmentMagic    = "tthrobx\x01" // the last byte is the format version
	magicPrefixLen  = 7             // "tthrobx": identifies the format family
	frameHeaderSize = 8
	maxFrameBody    = 1 << 30
)

type frameKind byte

const (
	// kindPad: filler that replaced a damaged frame (zeros after the kind).
	kindPad frameKind = 0
	// kindBase: uvarint next sequence number when the segment was created.
	kindBase frameKind = 1
	// kindPut: a record: seq, enqueued seconds (varint), enqueued
	// nanoseconds, QoS byte, flags byte (bit 0 retain), attempts, topic
	// length and bytes, meta length and bytes, then the payload to the end.
	kindPut frameKind = 2
	// kindDel: seq of a record that was removed.
	kindDel frameKind = 3
	// kindAttempts: seq and new attempt count of a record.
	kindAttempts frameKind = 4
)

const flagRetain = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errShortHeader = errors.New("truncated frame header")
	errBadLength   = errors.New("frame length out of range")
	errShortBody   = errors.New("truncated frame body")
	errChecksum    = errors.New("checksum mismatch")
	errBadBody     = errors.New("malformed frame body")
)

// beginFrame reserves a frame header at the end of dst.
func beginFrame(dst []byte, kind frameKind) ([]byte, int) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0, byte(kind))
	return dst, start
}

// endFrame fills in the header of the frame that begins at start.
func endFrame(dst []byte, start int) []byte {
	n := len(dst) - start - frameHeaderSize
	binary.LittleEndian.PutUint32(dst[start:], uint32(n))
	crc := crc32.Update(0, castagnoli, dst[start:start+4])
	crc = crc32.Update(crc, castagnoli, dst[start+frameHeaderSize:])
	binary.LittleEndian.PutUint32(dst[start+4:], crc)
	return dst
}

// putFrameSize is the encoded size of r's put frame, for bounds checks.
func putFrameSize(r *Record) int64 {
	return frameHeaderSize + 1 + 4*binary.MaxVarintLen64 + 2 + r.Size()
}

func appendPut(dst []byte, r *Record) []byte {
	dst, start := beginFrame(dst, kindPut)
	dst = binary.AppendUvarint(dst, r.Seq)
	dst = binary.AppendVarint(dst, r.Enqueued.Unix())
	dst = binary.AppendUvarint(dst, uint64(r.Enqueued.Nanosecond()))
	var flags byte
	if r.Retain {
		flags |= flagRetain
	}
	dst = append(dst, r.QoS, flags)
	dst = binary.AppendUvarint(dst, uint64(r.Attempts))
	dst = binary.AppendUvarint(dst, uint64(len(r.Topic)))
	dst = append(dst, r.Topic...)
	dst = binary.AppendUvarint(dst, uint64(len(r.Meta)))
	dst = append(dst, r.Meta...)
	dst = append(dst, r.Payload...)
	return endFrame(dst, start)
}

func appendSeqFrame(dst []byte, kind frameKind, seq uint64) []byte {
	dst, start := beginFrame(dst, kind)
	dst = binary.AppendUvarint(dst, seq)
	return endFrame(dst, start)
}

func appendAttempts(dst []byte, seq uint64, attempts int) []byte {
	dst, start := beginFrame(dst, kindAttempts)
	dst = binary.AppendUvarint(dst, seq)
	dst = binary.AppendUvarint(dst, uint64(attempts))
	return endFrame(dst, start)
}

// appendPad appends a pad frame of exactly size bytes (size > frameHeaderSize).
func appendPad(dst []byte, size int) []byte {
	dst, start := beginFrame(dst, kindPad)
	dst = append(dst, make([]byte, size-frameHeaderSize-1)...)
	return endFrame(dst, start)
}

// readFrame parses the frame at the start of b. It returns the body (kind
// byte first) and the frame's total size. On errChecksum, n is still the
// size the header claims, so the caller may try to skip the frame.
func readFrame(b []byte) (body []byte, n int, err error) {
	if len(b) < frameHeaderSize {
		return nil, 0, errShortHeader
	}
	size := binary.LittleEndian.Uint32(b)
	if size == 0 || size > maxFrameBody {
		return nil, 0, errBadLength
	}
	if uint64(len(b)-frameHeaderSize) < uint64(size) {
		return nil, 0, errShortBody
	}
	n = frameHeaderSize + int(size)
	body = b[frameHeaderSize:n]
	crc := crc32.Update(0, castagnoli, b[:4])
	crc = crc32.Update(crc, castagnoli, body)
	if crc != binary.LittleEndian.Uint32(b[4:]) {
		return nil, n, errChecksum
	}
	return body, n, nil
}

// bodyReader decodes the fields of a frame body; the first error sticks.
type bodyReader struct {
	b   []byte
	err bool
}

func (r *bodyReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *bodyReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *bodyReader) byte() byte {
	if len(r.b) == 0 {
		r.err = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *bodyReader) bytes() []byte {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)) {
		r.err = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// decodePut decodes a put body (after the kind byte). The record's
// Payload and Meta share one new allocation; nothing aliases body.
func decodePut(body []byte) (Record, error) {
	r := bodyReader{b: body}
	var rec Record
	rec.Seq = r.uvarint()
	sec := r.varint()
	nsec := r.uvarint()
	rec.QoS = r.byte()
	flags := r.byte()
	attempts := r.uvarint()
	topic := r.bytes()
	meta := r.bytes()
	if r.err || rec.Seq == 0 || nsec >= 1e9 || rec.QoS > 1 || flags&^flagRetain != 0 ||
		attempts > 1<<31 || len(topic) == 0 {
		return Record{}, errBadBody
	}
	rec.Enqueued = time.Unix(sec, int64(nsec))
	rec.Retain = flags&flagRetain != 0
	rec.Attempts = int(attempts)
	rec.Topic = string(topic)
	buf := make([]byte, len(r.b)+len(meta))
	rec.Payload = buf[:len(r.b):len(r.b)]
	copy(rec.Payload, r.b)
	if len(meta) > 0 {
		rec.Meta = buf[len(r.b):]
		copy(rec.Meta, meta)
	}
	return rec, nil
}

// decodeSeq decodes a del or base body (after the kind byte).
func decodeSeq(body []byte) (uint64, error) {
	r := bodyReader{b: body}
	seq := r.uvarint()
	if r.err || len(r.b) != 0 {
		return 0, errBadBody
	}
	return seq, nil
}

// decodeAttempts decodes an attempts body (after the kind byte).
func decodeAttempts(body []byte) (seq uint64, attempts int, err error) {
	r := bodyReader{b: body}
	seq = r.uvarint()
	n := r.uvarint()
	if r.err || len(r.b) != 0 || n > 1<<31 {
		return 0, 0, errBadBody
	}
	return seq, int(n), nil
}
