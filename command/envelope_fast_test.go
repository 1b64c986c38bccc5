package command

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The fast paths take the envelopes the encoders write, and decode them as
// encoding/json does.
func TestFastEnvelopesTakeWhatTheEncodersWrite(t *testing.T) {
	reqs := []*Request{
		{TID: "t1"},
		{TID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Method: "sensor.read", Seq: 9999999999999999999, Sender: "app-1",
			Deadline: testNow.Add(1500 * time.Millisecond), Payload: json.RawMessage(`{"bus":1,"sensors":[12,13,14]}`)},
		{TID: "t2", Payload: json.RawMessage(`"text"`)},
		{TID: "t3", Sender: "s", Payload: json.RawMessage(`null`)},
	}
	for _, req := range reqs {
		data, err := EncodeRequest(req, testNow)
		if err != nil {
			t.Fatal(err)
		}
		var e requestEnvelope
		if !fastRequestEnvelope(data, &e) {
			t.Errorf("fast path refused %s", data)
		}
		agreesWithEncodingJSON(t, data, fastRequestEnvelope)
	}
	for _, resp := range []Response{{Status: 200, Payload: json.RawMessage(`{"ok":true}`)}, {Status: 204}} {
		data, err := EncodeResponse("t1", resp)
		if err != nil {
			t.Fatal(err)
		}
		var e responseEnvelope
		if !fastResponseEnvelope(data, &e) {
			t.Errorf("fast path refused %s", data)
		}
		agreesWithEncodingJSON(t, data, fastResponseEnvelope)
	}
}

// Whatever needs more than the fast paths do goes to encoding/json.
func TestFastEnvelopesLeaveTheRestToEncodingJSON(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `{"tid":"a"} `, ` {"tid":"a"}`, `{"tid": "a"}`, `{"TID":"a"}`, `{"tid":"a\u0062"}`, `{"tid":"é"}`,
		`{"tid":null}`, `{"tid":1}`, `{"method":"m","tid":"a"}`, `{"tid":"a","tid":"b"}`, `{"tid":"a","seq":01}`,
		`{"tid":"a","seq":-1}`, `{"tid":"a","seq":1.5}`, `{"tid":"a","seq":12345678901234567890}`,
		`{"tid":"a","timeoutMs":1234567890123456789}`, `{"tid":"a","extra":1}`, `{"tid":"a","payload":{"x":1},"seq":1}`,
		`{"tid":"a","payload": {"x":1}}`, `{"tid":"a","payload":{"x":1} }`, `{"tid":"a","payload":}`,
		`{"tid":"a","payload":{"x":1}}}`, `{"tid":"a","payload":1}{"x":2}`, `{"tid":"a"`,
	} {
		var e requestEnvelope
		if fastRequestEnvelope([]byte(in), &e) {
			t.Errorf("fast path took %q", in)
		}
	}
	for _, in := range []string{
		`{"tid":"a"}`, `{"status":200,"tid":"a"}`, `{"tid":"a","status":1234567890}`, `{"tid":"a","status":200,"x":1}`,
		`{"tid":"a","status":200} `,
	} {
		var e responseEnvelope
		if fastResponseEnvelope([]byte(in), &e) {
			t.Errorf("fast path took %q", in)
		}
	}
}

// What a fast path decodes, encoding/json decodes the same.
func FuzzFastEnvelopesAgreeWithEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"tid":"t1","method":"sensor.list","seq":42,"sender":"app","timeoutMs":5000,"payload":{"bus":1}}`))
	f.Add([]byte(`{"tid":"t1","deadline":"2025-06-01T12:00:30Z","payload":null}`))
	f.Add([]byte(`{"tid":"t1","status":200,"payload":[1,2]}`))
	f.Add([]byte(`{"tid":"t1","status":204}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		agreesWithEncodingJSON(t, data, fastRequestEnvelope)
		agreesWithEncodingJSON(t, data, fastResponseEnvelope)
	})
}

func agreesWithEncodingJSON[E any](t *testing.T, data []byte, fastPath func([]byte, *E) bool) {
	t.Helper()
	var fast, slow E
	if !fastPath(data, &fast) {
		return
	}
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("fast path took %q, encoding/json refuses it: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast path %+v, encoding/json %+v", data, fast, slow)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	data, err := EncodeRequest(&Request{TID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Sender: "bench-app", Seq: 12345,
		Deadline: testNow.Add(10 * time.Second), Payload: json.RawMessage(`{"bus":1,"sensors":[12,13,14]}`)}, testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(data, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	data, err := EncodeResponse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Response{Status: 200, Payload: json.RawMessage(`{"bus":1,"sensors":[12,13,14]}`)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}
