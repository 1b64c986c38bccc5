package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Request
	}{
		{"full", `{"tid":"t1","method":"sensor.list","seq":42,"sender":"app","timeoutMs":5000,"payload":{"bus":1}}`,
			Request{TID: "t1", Method: "sensor.list", Seq: 42, Sender: "app", Deadline: testNow.Add(5 * time.Second), Payload: json.RawMessage(`{"bus":1}`)}},
		{"minimal", `{"tid":"t1"}`, Request{TID: "t1"}},
		{"null payload", `{"tid":"t1","payload":null}`, Request{TID: "t1"}},
		{"scalar payload", `{"tid":"t1","payload":3}`, Request{TID: "t1", Payload: json.RawMessage(`3`)}},
		{"rfc3339 deadline", `{"tid":"t1","deadline":"2025-06-01T12:00:30Z"}`, Request{TID: "t1", Deadline: testNow.Add(30 * time.Second)}},
		{"timeoutMs wins", `{"tid":"t1","deadline":"2030-01-01T00:00:00Z","timeoutMs":1}`, Request{TID: "t1", Deadline: testNow.Add(time.Millisecond)}},
		{"unknown members ignored", `{"tid":"t1","v":2,"extra":{}}`, Request{TID: "t1"}},
		{"whitespace", " \n{ \"tid\" : \"t1\" }\t", Request{TID: "t1"}},
	}
	for _, tt := range tests {
		got, err := DecodeRequest([]byte(tt.in), testNow)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !requestsEqual(got, &tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, *got, tt.want)
		}
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct {
		name, in, field string
	}{
		{"empty", ``, ""},
		{"not json", `{tid}`, ""},
		{"array", `[1]`, ""},
		{"null", `null`, "tid"},
		{"no tid", `{"method":"a"}`, "tid"},
		{"empty tid", `{"tid":""}`, "tid"},
		{"long tid", `{"tid":"` + strings.Repeat("x", MaxIDLength+1) + `"}`, "tid"},
		{"numeric tid", `{"tid":1}`, "tid"},
		{"bad method", `{"tid":"t","method":"a/b"}`, "method"},
		{"negative seq", `{"tid":"t","seq":-1}`, "seq"},
		{"fractional seq", `{"tid":"t","seq":1.5}`, "seq"},
		{"string seq", `{"tid":"t","seq":"1"}`, "seq"},
		{"long sender", `{"tid":"t","sender":"` + strings.Repeat("s", MaxIDLength+1) + `"}`, "sender"},
		{"zero timeout", `{"tid":"t","timeoutMs":0}`, "timeoutMs"},
		{"negative timeout", `{"tid":"t","timeoutMs":-5}`, "timeoutMs"},
		{"huge timeout", `{"tid":"t","timeoutMs":9223372036854775807}`, "timeoutMs"},
		{"bad deadline", `{"tid":"t","deadline":"tomorrow"}`, "deadline"},
		{"trailing garbage", `{"tid":"t"} x`, ""},
	}
	for _, tt := range tests {
		_, err := DecodeRequest([]byte(tt.in), testNow)
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want a *DecodeError", tt.name, err)
			continue
		}
		if de.Field != tt.field {
			t.Errorf("%s: field = %q, want %q (%v)", tt.name, de.Field, tt.field, err)
		}
		if StatusOf(err) != StatusBadRequest {
			t.Errorf("%s: StatusOf = %d, want 400", tt.name, StatusOf(err))
		}
	}
}

func TestDecodeMethodPayload(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Request
	}{
		{"bare object", `{"relay":1}`, Request{Method: "m", TID: "r1", Payload: json.RawMessage(`{"relay":1}`), NoDedup: true}},
		{"bare with a tid member among others", `{"tid":"x","relay":1}`, Request{Method: "m", TID: "r1", Payload: json.RawMessage(`{"tid":"x","relay":1}`), NoDedup: true}},
		{"bare with a numeric tid", `{"tid":5}`, Request{Method: "m", TID: "r1", Payload: json.RawMessage(`{"tid":5}`), NoDedup: true}},
		{"bare scalar", `17`, Request{Method: "m", TID: "r1", Payload: json.RawMessage(`17`), NoDedup: true}},
		{"empty", ``, Request{Method: "m", TID: "r1", NoDedup: true}},
		{"null", `null`, Request{Method: "m", TID: "r1", NoDedup: true}},
		{"envelope", `{"tid":"t9","seq":3,"sender":"app","timeoutMs":100,"payload":{"on":true}}`,
			Request{Method: "m", TID: "t9", Seq: 3, Sender: "app", Deadline: testNow.Add(100 * time.Millisecond), Payload: json.RawMessage(`{"on":true}`)}},
		{"envelope with the same method", `{"tid":"t9","method":"m"}`, Request{Method: "m", TID: "t9"}},
	}
	for _, tt := range tests {
		got, err := DecodeMethodPayload("m", "r1", []byte(tt.in), testNow)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !requestsEqual(got, &tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, *got, tt.want)
		}
	}
	bad := []struct{ name, rid, in string }{
		{"not json", "r1", `{oops`},
		{"envelope method mismatch", "r1", `{"tid":"t","method":"other"}`},
		{"envelope bad seq", "r1", `{"tid":"t","seq":"x"}`},
		{"envelope empty tid", "r1", `{"tid":""}`},
		{"no rid", "", `{}`},
	}
	for _, tt := range bad {
		if _, err := DecodeMethodPayload("m", tt.rid, []byte(tt.in), testNow); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestEncodeRequest(t *testing.T) {
	req := &Request{TID: "t1", Method: "a.b", Seq: 7, Sender: "app", Payload: json.RawMessage(`{"x":1}`),
		Deadline: testNow.Add(1500*time.Millisecond + time.Nanosecond)}
	b, err := EncodeRequest(req, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"tid":"t1","method":"a.b","seq":7,"sender":"app","timeoutMs":1501,"payload":{"x":1}}`
	if string(b) != want {
		t.Fatalf("EncodeRequest = %s, want %s", b, want)
	}
	if b, _ := EncodeRequest(&Request{TID: "t"}, testNow); string(b) != `{"tid":"t"}` {
		t.Fatalf("minimal EncodeRequest = %s", b)
	}
	// Found by FuzzDecodeRequest: a deadline beyond what a Duration holds
	// was sent as one millisecond more than DecodeRequest takes.
	far, err := EncodeRequest(&Request{TID: "t", Deadline: time.Date(7000, 1, 1, 0, 0, 0, 0, time.UTC)}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tid":"t","timeoutMs":` + strconv.FormatInt(maxTimeoutMs, 10) + `}`; string(far) != want {
		t.Fatalf("far deadline: EncodeRequest = %s, want %s", far, want)
	}
	if _, err := DecodeRequest(far, testNow); err != nil {
		t.Fatalf("far deadline does not decode: %v", err)
	}
	if _, err := EncodeRequest(&Request{TID: "t", Deadline: testNow}, testNow); !errors.Is(err, ErrDeadline) {
		t.Errorf("past deadline: %v", err)
	}
	if _, err := EncodeRequest(&Request{TID: ""}, testNow); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty tid: %v", err)
	}
	if _, err := EncodeRequest(&Request{TID: "t", Payload: []byte("{")}, testNow); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("bad payload: %v", err)
	}
	if _, err := EncodeRequest(&Request{TID: "t", Method: "a/b"}, testNow); !errors.Is(err, ErrInvalidMethod) {
		t.Errorf("bad method: %v", err)
	}
}

func TestResponseEnvelope(t *testing.T) {
	tests := []struct {
		tid  string
		resp Response
		want string
	}{
		{"t1", Response{Status: 200, Payload: []byte(`{"ok":true}`)}, `{"tid":"t1","status":200,"payload":{"ok":true}}`},
		{"t4", Response{Status: 200, Payload: []byte("{ \"a\" : \"<&>\" }")}, `{"tid":"t4","status":200,"payload":{"a":"<&>"}}`},
		{"t2", Response{Status: 204}, `{"tid":"t2","status":204}`},
		{`q"<`, Error(404, "no"), `{"tid":"q\"<","status":404,"payload":{"error":"no"}}`},
	}
	for _, tt := range tests {
		b, err := EncodeResponse(tt.tid, tt.resp)
		if err != nil || string(b) != tt.want {
			t.Errorf("EncodeResponse(%q) = %s, %v; want %s", tt.tid, b, err, tt.want)
			continue
		}
		tid, resp, err := DecodeResponse(b)
		if err != nil || tid != tt.tid || resp.Status != tt.resp.Status || !jsonEqual(resp.Payload, tt.resp.Payload) {
			t.Errorf("DecodeResponse(%s) = %q %+v %v", b, tid, resp, err)
		}
	}
	if _, err := EncodeResponse("t", Response{Status: 200, Payload: []byte("not json")}); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("bad payload: %v", err)
	}
	if _, err := EncodeResponse("t", Response{Status: 0}); err == nil {
		t.Error("status 0 encoded")
	}
	for _, in := range []string{``, `{}`, `{"tid":"t"}`, `{"tid":"t","status":99}`, `{"tid":"","status":200}`, `{"tid":"t","status":"200"}`} {
		if _, _, err := DecodeResponse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeResponse(%s) = %v, want ErrMalformed", in, err)
		}
	}
}

func requestsEqual(a, b *Request) bool {
	return a.Method == b.Method && a.TID == b.TID && a.Sender == b.Sender && a.Seq == b.Seq &&
		a.Deadline.Equal(b.Deadline) && bytes.Equal(a.Payload, b.Payload) && a.NoDedup == b.NoDedup
}

// Fuzz targets: decoders of cloud input never panic, return typed errors,
// and what they accept re-encodes to an equivalent request.

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"tid":"t1","method":"sensor.list","seq":42,"sender":"app","timeoutMs":5000,"payload":{"bus":1}}`))
	f.Add([]byte(`{"tid":"t1","deadline":"2025-06-01T12:00:30Z"}`))
	f.Add([]byte(`{"tid":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data, testNow)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if req.TID == "" || len(req.TID) > MaxIDLength {
			t.Fatalf("accepted tid %q", req.TID)
		}
		if req.Method != "" && ValidateMethod(req.Method) != nil {
			t.Fatalf("accepted method %q", req.Method)
		}
		if !req.Deadline.IsZero() && !req.Deadline.After(testNow) {
			return // an RFC 3339 deadline in the past: decodable, not re-encodable
		}
		b, err := EncodeRequest(req, testNow)
		if err != nil {
			t.Fatalf("cannot re-encode %+v: %v", *req, err)
		}
		again, err := DecodeRequest(b, testNow)
		if err != nil {
			t.Fatalf("cannot decode re-encoded %s: %v", b, err)
		}
		// The deadline travels as whole milliseconds, rounded up, and at
		// most maxTimeoutMs of them.
		if longest := testNow.Add(time.Duration(maxTimeoutMs) * time.Millisecond); req.Deadline.After(longest) {
			if !again.Deadline.Equal(longest) {
				t.Fatalf("deadline %v beyond the longest timeout became %v, want %v", req.Deadline, again.Deadline, longest)
			}
			again.Deadline = req.Deadline
		}
		if slack := again.Deadline.Sub(req.Deadline); slack < 0 || slack >= time.Millisecond {
			t.Fatalf("deadline %v became %v", req.Deadline, again.Deadline)
		}
		again.Deadline = req.Deadline
		if req.Payload != nil && !json.Valid(req.Payload) || !requestsEqualJSON(req, again) {
			t.Fatalf("round trip changed %+v into %+v", *req, *again)
		}
	})
}

func FuzzDecodeMethodPayload(f *testing.F) {
	f.Add("m", "1", []byte(`{"relay":1}`))
	f.Add("m", "1", []byte(`{"tid":"t9","seq":3,"payload":{"on":true}}`))
	f.Add("m", "", []byte(``))
	f.Fuzz(func(t *testing.T, method, rid string, data []byte) {
		req, err := DecodeMethodPayload(method, rid, data, testNow)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if req.Method != method {
			t.Fatalf("method %q, want the topic's %q", req.Method, method)
		}
		if req.Payload != nil && !json.Valid(req.Payload) {
			t.Fatalf("invalid payload %q accepted", req.Payload)
		}
		if req.NoDedup != (req.TID == rid && isEnvelope(data) == false) {
			t.Fatalf("NoDedup=%v for tid %q rid %q envelope=%v", req.NoDedup, req.TID, rid, isEnvelope(data))
		}
		if req.TID == "" {
			t.Fatal("empty TID accepted")
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"tid":"t1","status":200,"payload":{"ok":true}}`))
	f.Add([]byte(`{"tid":"t2","status":204}`))
	f.Add([]byte(`{"tid":"t3","status":700}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tid, resp, err := DecodeResponse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b, err := EncodeResponse(tid, resp)
		if err != nil {
			t.Fatalf("cannot re-encode %q %+v: %v", tid, resp, err)
		}
		tid2, resp2, err := DecodeResponse(b)
		if err != nil || tid2 != tid || resp2.Status != resp.Status || !jsonEqual(resp2.Payload, resp.Payload) {
			t.Fatalf("round trip %s → %s changed it", data, b)
		}
	})
}

// requestsEqualJSON compares requests, payloads as compacted JSON.
func requestsEqualJSON(a, b *Request) bool {
	ac, bc := *a, *b
	ac.Payload, bc.Payload = nil, nil
	return requestsEqual(&ac, &bc) && jsonEqual(a.Payload, b.Payload)
}

func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
