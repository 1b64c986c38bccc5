package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// referenceMarshal is how envelopes were encoded before envelopeWriter:
// encoding/json without HTML escaping. The hand-written encoders must
// produce the same bytes.
func referenceMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func referenceResponse(tid string, resp Response) ([]byte, error) {
	if len(resp.Payload) > 0 && !json.Valid(resp.Payload) {
		return nil, ErrInvalidPayload
	}
	return referenceMarshal(&responseEnvelope{TID: &tid, Status: &resp.Status, Payload: resp.Payload})
}

func referenceRequest(req *Request, now time.Time) ([]byte, error) {
	if len(req.Payload) > 0 && !json.Valid(req.Payload) {
		return nil, ErrInvalidPayload
	}
	tid := req.TID
	env := requestEnvelope{TID: &tid, Method: req.Method, Seq: req.Seq, Sender: req.Sender, Payload: req.Payload}
	if !req.Deadline.IsZero() {
		left := req.Deadline.Sub(now)
		if left <= 0 {
			return nil, ErrDeadline
		}
		ms := int64(left / time.Millisecond)
		if left%time.Millisecond != 0 {
			ms++
		}
		env.TimeoutMs = &ms
	}
	return referenceMarshal(&env)
}

func TestEnvelopeEncodersMatchEncodingJSON(t *testing.T) {
	for _, tid := range []string{"t1", `q"<&>\`, "tab\there", "é\u2028\xff", "\x00\x1f\x7f"} {
		for _, payload := range []string{"", `{ "a" : [1, 2] , "b":"<&>" }`, "null", `"x"`, "{", " "} {
			resp := Response{Status: 200, Payload: json.RawMessage(payload)}
			got, gerr := EncodeResponse(tid, resp)
			want, werr := referenceResponse(tid, resp)
			if !bytes.Equal(got, want) || !errors.Is(gerr, werr) {
				t.Errorf("EncodeResponse(%q, %q) = %s, %v; encoding/json: %s, %v", tid, payload, got, gerr, want, werr)
			}
			req := &Request{TID: tid, Method: "a.b", Seq: 3, Sender: tid, Payload: json.RawMessage(payload),
				Deadline: testNow.Add(1500*time.Millisecond + time.Nanosecond)}
			got, gerr = EncodeRequest(req, testNow)
			want, werr = referenceRequest(req, testNow)
			if !bytes.Equal(got, want) || !errors.Is(gerr, werr) {
				t.Errorf("EncodeRequest(%q, %q) = %s, %v; encoding/json: %s, %v", tid, payload, got, gerr, want, werr)
			}
		}
	}
}

// FuzzEnvelopeEncoders checks the hand-written encoders against
// encoding/json byte for byte.
func FuzzEnvelopeEncoders(f *testing.F) {
	f.Add("t1", "a.b", "app", uint64(7), int64(1500), []byte(`{"x": 1}`))
	f.Add(`q"<`, "", "", uint64(0), int64(0), []byte(nil))
	f.Add("\u2028", "m", "s\x01", uint64(1), int64(-5), []byte("[1,"))
	f.Fuzz(func(t *testing.T, tid, method, sender string, seq uint64, deadlineMs int64, payload []byte) {
		if validateID("tid", tid) != nil || (method != "" && ValidateMethod(method) != nil) || len(sender) > MaxIDLength {
			return // refused before encoding, by both
		}
		var deadline time.Time
		if deadlineMs != 0 {
			deadline = testNow.Add(time.Duration(deadlineMs%1e9) * time.Microsecond)
		}
		req := &Request{TID: tid, Method: method, Seq: seq, Sender: sender, Payload: payload, Deadline: deadline}
		got, gerr := EncodeRequest(req, testNow)
		want, werr := referenceRequest(req, testNow)
		if !bytes.Equal(got, want) || !errors.Is(gerr, werr) {
			t.Fatalf("EncodeRequest = %s, %v; encoding/json: %s, %v", got, gerr, want, werr)
		}
		resp := Response{Status: 100 + int(seq%500), Payload: payload}
		got, gerr = EncodeResponse(tid, resp)
		want, werr = referenceResponse(tid, resp)
		if !bytes.Equal(got, want) || !errors.Is(gerr, werr) {
			t.Fatalf("EncodeResponse = %s, %v; encoding/json: %s, %v", got, gerr, want, werr)
		}
	})
}
