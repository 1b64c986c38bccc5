package command

import (
	"encoding/json"
	"strconv"
)

// Fast paths of the envelope decoders, for envelopes in exactly the form
// EncodeRequest and EncodeResponse write: no whitespace, the members in
// their order, plain ASCII strings, integers. Every other input, and every
// error, goes to encoding/json. For what they accept they give what
// json.Unmarshal gives (a fuzz target compares the two). They save about
// 4 us of a command round trip's 120 us in process: json.Unmarshal of a
// small envelope costs 2 us hot and 5-6 us on the round trip's cold caches.

// envelopeScanner reads one envelope from the front.
type envelopeScanner struct {
	data []byte
	i    int
}

// member consumes `"name":` preceded by sep ('{' or ','), if it is next.
func (s *envelopeScanner) member(sep byte, name string) bool {
	rest := s.data[s.i:]
	n := len(name)
	if len(rest) < n+4 || rest[0] != sep || rest[1] != '"' || string(rest[2:2+n]) != name ||
		rest[2+n] != '"' || rest[3+n] != ':' {
		return false
	}
	s.i += n + 4
	return true
}

// plainString consumes a JSON string of printable ASCII without escapes,
// the only strings decoded here: anything else may need unescaping or
// UTF-8 replacement, which encoding/json does.
func (s *envelopeScanner) plainString() (string, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return "", false
	}
	for j := s.i + 1; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			v := string(s.data[s.i+1 : j])
			s.i = j + 1
			return v, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// digits consumes a JSON integer of at most maxDigits decimal digits, no
// sign, no leading zero: it fits the field's type on every platform.
func (s *envelopeScanner) digits(maxDigits int) (uint64, bool) {
	j := s.i
	for j < len(s.data) && j-s.i <= maxDigits && s.data[j] >= '0' && s.data[j] <= '9' {
		j++
	}
	n := j - s.i
	if n == 0 || n > maxDigits || n > 1 && s.data[s.i] == '0' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[s.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	s.i = j
	return v, true
}

// payloadAndEnd consumes an optional last `,"payload":value` and the
// closing brace, which must end data. The value is copied, as
// json.RawMessage copies it.
func (s *envelopeScanner) payloadAndEnd() (json.RawMessage, bool) {
	last := len(s.data) - 1
	if last < s.i || s.data[last] != '}' {
		return nil, false
	}
	if s.i == last {
		return nil, true
	}
	if !s.member(',', "payload") {
		return nil, false
	}
	v := s.data[s.i:last]
	// json.Valid allows surrounding whitespace, which a raw value excludes.
	if len(v) == 0 || isJSONSpace(v[0]) || isJSONSpace(v[len(v)-1]) || !json.Valid(v) {
		return nil, false
	}
	s.i = len(s.data)
	return append(json.RawMessage(nil), v...), true
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Digits that always fit: uint64 holds every 19-digit number, int64 every
// 18-digit one, a 32-bit int every 9-digit one.
const (
	maxUint64Digits = 19
	maxInt64Digits  = 18
	maxIntDigits    = 9
)

// fastRequestEnvelope decodes data into e when it is a request envelope
// in the form EncodeRequest writes (tid, then optionally method, seq,
// sender, timeoutMs, deadline, payload, in that order); it reports false,
// leaving e unspecified, for anything else.
func fastRequestEnvelope(data []byte, e *requestEnvelope) bool {
	s := envelopeScanner{data: data}
	if !s.member('{', "tid") {
		return false
	}
	tid, ok := s.plainString()
	if !ok {
		return false
	}
	e.TID = &tid
	if s.member(',', "method") {
		if e.Method, ok = s.plainString(); !ok {
			return false
		}
	}
	if s.member(',', "seq") {
		if e.Seq, ok = s.digits(maxUint64Digits); !ok {
			return false
		}
	}
	if s.member(',', "sender") {
		if e.Sender, ok = s.plainString(); !ok {
			return false
		}
	}
	if s.member(',', "timeoutMs") {
		ms, ok := s.digits(maxInt64Digits)
		if !ok {
			return false
		}
		v := int64(ms)
		e.TimeoutMs = &v
	}
	if s.member(',', "deadline") {
		if e.Deadline, ok = s.plainString(); !ok {
			return false
		}
	}
	e.Payload, ok = s.payloadAndEnd()
	return ok
}

// fastResponseEnvelope is fastRequestEnvelope for a response envelope
// (tid, status, then optionally payload).
func fastResponseEnvelope(data []byte, e *responseEnvelope) bool {
	s := envelopeScanner{data: data}
	if !s.member('{', "tid") {
		return false
	}
	tid, ok := s.plainString()
	if !ok || !s.member(',', "status") {
		return false
	}
	code, ok := s.digits(maxIntDigits)
	if !ok {
		return false
	}
	status := int(code)
	e.TID, e.Status = &tid, &status
	e.Payload, ok = s.payloadAndEnd()
	return ok
}
