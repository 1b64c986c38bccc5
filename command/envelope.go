package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// requestEnvelope is the JSON form of a request; see the package doc.
type requestEnvelope struct {
	TID       *string         `json:"tid"`
	Method    string          `json:"method,omitempty"`
	Seq       uint64          `json:"seq,omitempty"`
	Sender    string          `json:"sender,omitempty"`
	TimeoutMs *int64          `json:"timeoutMs,omitempty"`
	Deadline  string          `json:"deadline,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// envelopeFields are the members of a request envelope; an Azure payload is
// an envelope only if it has a string "tid" and no other members.
var envelopeFields = map[string]bool{
	"tid": true, "method": true, "seq": true, "sender": true,
	"timeoutMs": true, "deadline": true, "payload": true,
}

// responseEnvelope is the JSON form of a response; see the package doc.
type responseEnvelope struct {
	TID     *string         `json:"tid"`
	Status  *int            `json:"status"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// maxTimeoutMs keeps now + timeoutMs within time.Duration.
const maxTimeoutMs = math.MaxInt64 / int64(time.Millisecond)

// DecodeRequest decodes a request envelope (the AWS form, see the package
// doc). now converts "timeoutMs" into Request.Deadline. The method may be
// absent (the canonical scheme carries it in the topic); when present it must
// be valid. Unknown members are ignored. Malformed input returns a
// *[DecodeError] (errors.Is ErrMalformed).
func DecodeRequest(data []byte, now time.Time) (*Request, error) {
	var env requestEnvelope
	if !fastRequestEnvelope(data, &env) {
		env = requestEnvelope{}
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, decodeErr(err)
		}
	}
	return env.request(now)
}

// DecodeMethodPayload decodes an Azure direct method: method and rid come
// from the topic ([ParseAzureMethodTopic]), data is the body. If the body is
// a request envelope (a JSON object with a string "tid" and only envelope
// members), the TID, sequence, sender, deadline and payload come from it; a
// "method" in it must match the topic's. Otherwise the whole body is the
// payload and the TID is rid, with NoDedup set: the hub's $rid is only unique
// per connection, and the hub never redelivers a method anyway.
func DecodeMethodPayload(method, rid string, data []byte, now time.Time) (*Request, error) {
	if err := validateRID(rid); err != nil {
		return nil, &DecodeError{Field: "$rid", Reason: "invalid", Err: err}
	}
	if isEnvelope(data) {
		var e requestEnvelope
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, decodeErr(err)
		}
		if e.Method != "" && e.Method != method {
			return nil, &DecodeError{Field: "method", Reason: "does not match the topic's " + strconv.Quote(method)}
		}
		e.Method = ""
		req, err := e.request(now)
		if err != nil {
			return nil, err
		}
		req.Method = method
		return req, nil
	}
	payload := bytes.TrimSpace(data)
	switch {
	case len(payload) == 0 || string(payload) == "null":
		payload = nil
	case !json.Valid(payload):
		return nil, &DecodeError{Field: "payload", Reason: "not valid JSON"}
	}
	return &Request{Method: method, TID: rid, Payload: payload, NoDedup: true}, nil
}

// isEnvelope reports whether data is a JSON object with a string "tid" and
// only envelope members.
func isEnvelope(data []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil || m == nil {
		return false
	}
	if tid, ok := m["tid"]; !ok || len(tid) == 0 || tid[0] != '"' {
		return false
	}
	for k := range m {
		if !envelopeFields[k] {
			return false
		}
	}
	return true
}

func (e *requestEnvelope) request(now time.Time) (*Request, error) {
	if e.TID == nil {
		return nil, &DecodeError{Field: "tid", Reason: "missing"}
	}
	if err := validateID("tid", *e.TID); err != nil {
		return nil, err
	}
	if len(e.Sender) > MaxIDLength {
		return nil, &DecodeError{Field: "sender", Reason: "longer than " + strconv.Itoa(MaxIDLength) + " bytes"}
	}
	if e.Method != "" {
		if err := ValidateMethod(e.Method); err != nil {
			return nil, &DecodeError{Field: "method", Reason: "invalid", Err: err}
		}
	}
	req := &Request{Method: e.Method, TID: *e.TID, Sender: e.Sender, Seq: e.Seq, Payload: nullToNil(e.Payload)}
	switch {
	case e.TimeoutMs != nil:
		if *e.TimeoutMs <= 0 || *e.TimeoutMs > maxTimeoutMs {
			return nil, &DecodeError{Field: "timeoutMs", Reason: "not a positive number of milliseconds"}
		}
		req.Deadline = now.Add(time.Duration(*e.TimeoutMs) * time.Millisecond)
	case e.Deadline != "":
		d, err := time.Parse(time.RFC3339Nano, e.Deadline)
		if err != nil {
			return nil, &DecodeError{Field: "deadline", Reason: "not RFC 3339", Err: err}
		}
		req.Deadline = d
	}
	return req, nil
}

// EncodeRequest encodes req as a request envelope (the application's side,
// and emulators). A Deadline is sent as "timeoutMs" from now, rounded up to
// the millisecond, because devices often boot without a real-time clock; a
// Deadline not after now is an error matching [ErrDeadline].
func EncodeRequest(req *Request, now time.Time) ([]byte, error) {
	tid := req.TID
	if err := validateID("tid", tid); err != nil {
		return nil, err
	}
	if req.Method != "" {
		if err := ValidateMethod(req.Method); err != nil {
			return nil, err
		}
	}
	if len(req.Sender) > MaxIDLength {
		return nil, &DecodeError{Field: "sender", Reason: "longer than " + strconv.Itoa(MaxIDLength) + " bytes"}
	}
	var timeoutMs int64 // 0: none
	var deadlineErr error
	if !req.Deadline.IsZero() {
		left := req.Deadline.Sub(now)
		if left <= 0 {
			deadlineErr = ErrDeadline // after the payload's check, as before
		} else {
			timeoutMs = int64(left / time.Millisecond)
			if left%time.Millisecond != 0 {
				timeoutMs++
			}
			// A deadline past what a Duration holds (about 292 years; Sub
			// saturates there) goes as the longest timeout DecodeRequest
			// takes, not one millisecond more.
			timeoutMs = min(timeoutMs, maxTimeoutMs)
		}
	}
	b := newEnvelope(len(tid) + len(req.Method) + len(req.Sender) + len(req.Payload) + 80)
	b.member(`{"tid":`)
	b.string(tid)
	if req.Method != "" {
		b.member(`,"method":`)
		b.string(req.Method)
	}
	if req.Seq != 0 {
		b.member(`,"seq":`)
		b.buf.Write(strconv.AppendUint(b.buf.AvailableBuffer(), req.Seq, 10))
	}
	if req.Sender != "" {
		b.member(`,"sender":`)
		b.string(req.Sender)
	}
	if timeoutMs != 0 {
		b.member(`,"timeoutMs":`)
		b.buf.Write(strconv.AppendInt(b.buf.AvailableBuffer(), timeoutMs, 10))
	}
	if len(req.Payload) > 0 {
		b.member(`,"payload":`)
		if json.Compact(&b.buf, req.Payload) != nil {
			return nil, ErrInvalidPayload
		}
	}
	if deadlineErr != nil {
		return nil, deadlineErr
	}
	b.member(`}`)
	return b.buf.Bytes(), nil
}

// EncodeResponse encodes the response envelope {"tid","status","payload"}.
// A payload that is not valid JSON is an error matching [ErrInvalidPayload].
func EncodeResponse(tid string, resp Response) ([]byte, error) {
	if resp.Status < 100 || resp.Status > 599 {
		return nil, errors.New("command: status " + strconv.Itoa(resp.Status) + " out of range 100-599")
	}
	b := newEnvelope(len(tid) + len(resp.Payload) + 40)
	b.member(`{"tid":`)
	b.string(tid)
	b.member(`,"status":`)
	b.buf.Write(strconv.AppendInt(b.buf.AvailableBuffer(), int64(resp.Status), 10))
	if len(resp.Payload) > 0 {
		b.member(`,"payload":`)
		if json.Compact(&b.buf, resp.Payload) != nil { // validates as it copies
			return nil, ErrInvalidPayload
		}
	}
	b.member(`}`)
	return b.buf.Bytes(), nil
}

// envelopeWriter writes an envelope in one buffer, as encoding/json would
// with SetEscapeHTML(false): envelopes are not embedded in HTML, and
// payloads travel as the handler wrote them, compacted (json.Compact,
// which also validates them in the same pass). It replaces a json.Encoder
// and a json.Valid per envelope on every command.
type envelopeWriter struct{ buf bytes.Buffer }

func newEnvelope(size int) *envelopeWriter {
	w := &envelopeWriter{}
	w.buf.Grow(size)
	return w
}

func (w *envelopeWriter) member(s string) { w.buf.WriteString(s) }

// string writes s as a JSON string: as it is when it needs no escape (the
// usual TID, method or sender), else as encoding/json escapes it.
func (w *envelopeWriter) string(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			w.escaped(s)
			return
		}
	}
	w.buf.WriteByte('"')
	w.buf.WriteString(s)
	w.buf.WriteByte('"')
}

func (w *envelopeWriter) escaped(s string) {
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)               // a string always encodes
	w.buf.Truncate(w.buf.Len() - 1) // Encode's newline
}

// DecodeResponse decodes a response envelope (the application's side, and
// emulators). Malformed input returns a *[DecodeError].
func DecodeResponse(data []byte) (tid string, resp Response, err error) {
	var env responseEnvelope
	if !fastResponseEnvelope(data, &env) {
		env = responseEnvelope{}
		if err := json.Unmarshal(data, &env); err != nil {
			return "", Response{}, decodeErr(err)
		}
	}
	if env.TID == nil {
		return "", Response{}, &DecodeError{Field: "tid", Reason: "missing"}
	}
	if err := validateID("tid", *env.TID); err != nil {
		return "", Response{}, err
	}
	if env.Status == nil || *env.Status < 100 || *env.Status > 599 {
		return "", Response{}, &DecodeError{Field: "status", Reason: "missing or out of range 100-599"}
	}
	return *env.TID, Response{Status: *env.Status, Payload: nullToNil(env.Payload)}, nil
}

func validateID(field, id string) error {
	switch {
	case id == "":
		return &DecodeError{Field: field, Reason: "empty"}
	case len(id) > MaxIDLength:
		return &DecodeError{Field: field, Reason: "longer than " + strconv.Itoa(MaxIDLength) + " bytes"}
	}
	return nil
}

func nullToNil(p json.RawMessage) json.RawMessage {
	if len(p) == 0 || string(p) == "null" {
		return nil
	}
	return p
}

// decodeErr wraps a json error, naming the field when json knows it.
func decodeErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &DecodeError{Field: te.Field, Reason: "wrong type " + te.Value, Err: err}
	}
	return &DecodeError{Reason: "not a JSON envelope", Err: err}
}
