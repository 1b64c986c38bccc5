package twindoc

import (
	"errors"
	"strings"
	"testing"
)

func TestGetTopic(t *testing.T) {
	tests := []struct {
		rid     string
		want    string
		wantErr bool
	}{
		{rid: "1", want: "$iothub/twin/GET/?$rid=1"},
		{rid: "6f1a-9c2e", want: "$iothub/twin/GET/?$rid=6f1a-9c2e"},
		{rid: "a$b~c%20", want: "$iothub/twin/GET/?$rid=a$b~c%20"},
		{rid: "", wantErr: true},
		{rid: "a&b", wantErr: true},
		{rid: "a=b", wantErr: true},
		{rid: "a/b", wantErr: true},
		{rid: "a?b", wantErr: true},
		{rid: "a#", wantErr: true},
		{rid: "a+", wantErr: true},
		{rid: "a b", wantErr: true},
		{rid: "a\x00", wantErr: true},
		{rid: "é", wantErr: true},
	}
	for _, tt := range tests {
		got, err := GetTopic(tt.rid)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidRequestID) {
				t.Errorf("GetTopic(%q) error = %v, want ErrInvalidRequestID", tt.rid, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("GetTopic(%q) = %q, %v; want %q", tt.rid, got, err, tt.want)
		}
	}
}

func TestReportedPatchTopic(t *testing.T) {
	got, err := ReportedPatchTopic("42")
	if err != nil || got != "$iothub/twin/PATCH/properties/reported/?$rid=42" {
		t.Fatalf("ReportedPatchTopic(42) = %q, %v", got, err)
	}
	if _, err := ReportedPatchTopic("4&2"); !errors.Is(err, ErrInvalidRequestID) {
		t.Fatalf("ReportedPatchTopic(4&2) error = %v, want ErrInvalidRequestID", err)
	}
}

func TestParseResponseTopic(t *testing.T) {
	tests := []struct {
		name     string
		topic    string
		want     Response
		sentinel error // nil: success
	}{
		{name: "get ok", topic: "$iothub/twin/res/200/?$rid=1", want: Response{Status: 200, RequestID: "1"}},
		{name: "patch ok with version", topic: "$iothub/twin/res/204/?$rid=abc&$version=7",
			want: Response{Status: 204, RequestID: "abc", Version: 7, HasVersion: true}},
		{name: "version first", topic: "$iothub/twin/res/204/?$version=9&$rid=r",
			want: Response{Status: 204, RequestID: "r", Version: 9, HasVersion: true}},
		{name: "unknown params ignored", topic: "$iothub/twin/res/429/?x=1&$rid=r&flag&&y=",
			want: Response{Status: 429, RequestID: "r"}},
		{name: "max version", topic: "$iothub/twin/res/204/?$rid=r&$version=9223372036854775807",
			want: Response{Status: 204, RequestID: "r", Version: 9223372036854775807, HasVersion: true}},
		{name: "rid kept verbatim", topic: "$iothub/twin/res/500/?$rid=a%26b/c",
			want: Response{Status: 500, RequestID: "a%26b/c"}},
		{name: "status 100", topic: "$iothub/twin/res/100/?$rid=1", want: Response{Status: 100, RequestID: "1"}},
		{name: "status 599", topic: "$iothub/twin/res/599/?$rid=1", want: Response{Status: 599, RequestID: "1"}},

		{name: "other topic", topic: "$iothub/methods/res/200/?$rid=1", sentinel: ErrTopicMismatch},
		{name: "desired patch", topic: "$iothub/twin/PATCH/properties/desired/?$version=1", sentinel: ErrTopicMismatch},
		{name: "empty", topic: "", sentinel: ErrTopicMismatch},
		{name: "no slash after status", topic: "$iothub/twin/res/200", sentinel: ErrMalformedTopic},
		{name: "no question mark", topic: "$iothub/twin/res/200/$rid=1", sentinel: ErrMalformedTopic},
		{name: "no rid", topic: "$iothub/twin/res/200/?$version=1", sentinel: ErrMalformedTopic},
		{name: "empty query", topic: "$iothub/twin/res/200/?", sentinel: ErrMalformedTopic},
		{name: "empty rid", topic: "$iothub/twin/res/200/?$rid=", sentinel: ErrMalformedTopic},
		{name: "rid without value", topic: "$iothub/twin/res/200/?$rid", sentinel: ErrMalformedTopic},
		{name: "duplicate rid", topic: "$iothub/twin/res/200/?$rid=1&$rid=2", sentinel: ErrMalformedTopic},
		{name: "duplicate version", topic: "$iothub/twin/res/204/?$rid=1&$version=1&$version=1", sentinel: ErrMalformedTopic},
		{name: "negative version", topic: "$iothub/twin/res/204/?$rid=1&$version=-1", sentinel: ErrMalformedTopic},
		{name: "signed version", topic: "$iothub/twin/res/204/?$rid=1&$version=+1", sentinel: ErrMalformedTopic},
		{name: "version overflow", topic: "$iothub/twin/res/204/?$rid=1&$version=9223372036854775808", sentinel: ErrMalformedTopic},
		{name: "version not number", topic: "$iothub/twin/res/204/?$rid=1&$version=x", sentinel: ErrMalformedTopic},
		{name: "empty version", topic: "$iothub/twin/res/204/?$rid=1&$version=", sentinel: ErrMalformedTopic},
		{name: "status letters", topic: "$iothub/twin/res/abc/?$rid=1", sentinel: ErrMalformedTopic},
		{name: "status two digits", topic: "$iothub/twin/res/20/?$rid=1", sentinel: ErrMalformedTopic},
		{name: "status four digits", topic: "$iothub/twin/res/2000/?$rid=1", sentinel: ErrMalformedTopic},
		{name: "status 099", topic: "$iothub/twin/res/099/?$rid=1", sentinel: ErrMalformedTopic},
		{name: "status 600", topic: "$iothub/twin/res/600/?$rid=1", sentinel: ErrMalformedTopic},
		{name: "status empty", topic: "$iothub/twin/res//?$rid=1", sentinel: ErrMalformedTopic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponseTopic(tt.topic)
			if tt.sentinel != nil {
				var te *TopicError
				if !errors.Is(err, tt.sentinel) || !errors.As(err, &te) || te.Topic != tt.topic {
					t.Fatalf("ParseResponseTopic(%q) = %+v, %v; want *TopicError matching %v", tt.topic, got, err, tt.sentinel)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseResponseTopic(%q) = %+v, %v; want %+v", tt.topic, got, err, tt.want)
			}
		})
	}
}

func TestParseDesiredTopic(t *testing.T) {
	tests := []struct {
		topic    string
		want     int64
		sentinel error
	}{
		{topic: "$iothub/twin/PATCH/properties/desired/?$version=1", want: 1},
		{topic: "$iothub/twin/PATCH/properties/desired/?$version=0", want: 0},
		{topic: "$iothub/twin/PATCH/properties/desired/?a=b&$version=123&c", want: 123},
		{topic: "$iothub/twin/PATCH/properties/desired/?$version=1&$rid=9", want: 1},
		{topic: "$iothub/twin/PATCH/properties/desired/?", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/PATCH/properties/desired/?$rid=1", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/PATCH/properties/desired/?$version=1.5", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/PATCH/properties/desired/?$version=1&$version=2", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/PATCH/properties/desired/$version=1", sentinel: ErrTopicMismatch},
		{topic: "$iothub/twin/PATCH/properties/reported/?$rid=1", sentinel: ErrTopicMismatch},
		{topic: "$iothub/twin/res/200/?$rid=1", sentinel: ErrTopicMismatch},
	}
	for _, tt := range tests {
		got, err := ParseDesiredTopic(tt.topic)
		if tt.sentinel != nil {
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ParseDesiredTopic(%q) = %d, %v; want %v", tt.topic, got, err, tt.sentinel)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDesiredTopic(%q) = %d, %v; want %d", tt.topic, got, err, tt.want)
		}
	}
}

func TestParseRequestTopic(t *testing.T) {
	tests := []struct {
		topic    string
		want     Request
		sentinel error
	}{
		{topic: "$iothub/twin/GET/?$rid=1", want: Request{Kind: RequestGet, RequestID: "1"}},
		{topic: "$iothub/twin/PATCH/properties/reported/?$rid=x-y", want: Request{Kind: RequestPatchReported, RequestID: "x-y"}},
		{topic: "$iothub/twin/PATCH/properties/reported/?foo=bar&$rid=2", want: Request{Kind: RequestPatchReported, RequestID: "2"}},
		{topic: "$iothub/twin/GET/?", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/GET/?$rid=", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/GET/?$rid=1&$rid=1", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/PATCH/properties/reported/?$rid=#", sentinel: ErrMalformedTopic}, // cannot be answered
		{topic: "$iothub/twin/GET/?$rid=a+b", sentinel: ErrMalformedTopic},
		{topic: "$iothub/twin/GET/", sentinel: ErrTopicMismatch},
		{topic: "$iothub/twin/PATCH/properties/desired/?$rid=1", sentinel: ErrTopicMismatch},
		{topic: "devices/d/messages/events/", sentinel: ErrTopicMismatch},
	}
	for _, tt := range tests {
		got, err := ParseRequestTopic(tt.topic)
		if tt.sentinel != nil {
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ParseRequestTopic(%q) = %+v, %v; want %v", tt.topic, got, err, tt.sentinel)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRequestTopic(%q) = %+v, %v; want %+v", tt.topic, got, err, tt.want)
		}
	}
}

func TestResponseTopic(t *testing.T) {
	tests := []struct {
		in       Response
		want     string
		sentinel error
	}{
		{in: Response{Status: 200, RequestID: "1"}, want: "$iothub/twin/res/200/?$rid=1"},
		{in: Response{Status: 204, RequestID: "r", Version: 5, HasVersion: true}, want: "$iothub/twin/res/204/?$rid=r&$version=5"},
		{in: Response{Status: 204, RequestID: "r", Version: 0, HasVersion: true}, want: "$iothub/twin/res/204/?$rid=r&$version=0"},
		{in: Response{Status: 400, RequestID: "r", Version: 5}, want: "$iothub/twin/res/400/?$rid=r"},
		{in: Response{Status: 99, RequestID: "r"}, sentinel: ErrInvalidStatus},
		{in: Response{Status: 600, RequestID: "r"}, sentinel: ErrInvalidStatus},
		{in: Response{Status: 200, RequestID: "a b/c?d=é"}, want: "$iothub/twin/res/200/?$rid=a b/c?d=é"},
		{in: Response{Status: 200, RequestID: ""}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 200, RequestID: "a&b"}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 200, RequestID: "a#"}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 200, RequestID: "a+"}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 200, RequestID: "a\x00"}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 200, RequestID: "a\xff"}, sentinel: ErrInvalidRequestID},
		{in: Response{Status: 204, RequestID: "r", Version: -1, HasVersion: true}, sentinel: ErrInvalidVersion},
	}
	for _, tt := range tests {
		got, err := ResponseTopic(tt.in)
		if tt.sentinel != nil {
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ResponseTopic(%+v) = %q, %v; want %v", tt.in, got, err, tt.sentinel)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ResponseTopic(%+v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDesiredTopic(t *testing.T) {
	got, err := DesiredTopic(9223372036854775807)
	if err != nil || got != "$iothub/twin/PATCH/properties/desired/?$version=9223372036854775807" {
		t.Fatalf("DesiredTopic(max) = %q, %v", got, err)
	}
	if _, err := DesiredTopic(-1); !errors.Is(err, ErrInvalidVersion) {
		t.Fatalf("DesiredTopic(-1) error = %v, want ErrInvalidVersion", err)
	}
}

func TestTopicRoundTrips(t *testing.T) {
	for _, rid := range []string{"1", "18446744073709551615", "550e8400-e29b-41d4-a716-446655440000", "$~!*'();:@,%"} {
		get, err := GetTopic(rid)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ParseRequestTopic(get); err != nil || r != (Request{Kind: RequestGet, RequestID: rid}) {
			t.Errorf("ParseRequestTopic(GetTopic(%q)) = %+v, %v", rid, r, err)
		}
		patch, err := ReportedPatchTopic(rid)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ParseRequestTopic(patch); err != nil || r != (Request{Kind: RequestPatchReported, RequestID: rid}) {
			t.Errorf("ParseRequestTopic(ReportedPatchTopic(%q)) = %+v, %v", rid, r, err)
		}
		for _, want := range []Response{
			{Status: 200, RequestID: rid},
			{Status: 204, RequestID: rid, Version: 1<<63 - 1, HasVersion: true},
			{Status: 429, RequestID: rid},
		} {
			topic, err := ResponseTopic(want)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ParseResponseTopic(topic); err != nil || got != want {
				t.Errorf("ParseResponseTopic(ResponseTopic(%+v)) = %+v, %v", want, got, err)
			}
		}
	}
	for _, rid := range []string{"a b", "x=y", "p/q?r", "é"} {
		want := Response{Status: 204, RequestID: rid, Version: 3, HasVersion: true}
		topic, err := ResponseTopic(want)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ParseResponseTopic(topic); err != nil || got != want {
			t.Errorf("ParseResponseTopic(ResponseTopic(%+v)) = %+v, %v", want, got, err)
		}
	}
	for _, v := range []int64{0, 1, 1 << 52, 1<<63 - 1} {
		topic, err := DesiredTopic(v)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ParseDesiredTopic(topic); err != nil || got != v {
			t.Errorf("ParseDesiredTopic(DesiredTopic(%d)) = %d, %v", v, got, err)
		}
	}
}

func TestParseTopicsDoNotAllocate(t *testing.T) {
	res := "$iothub/twin/res/204/?$rid=550e8400-e29b-41d4-a716-446655440000&$version=123456"
	des := "$iothub/twin/PATCH/properties/desired/?$version=123456"
	req := "$iothub/twin/PATCH/properties/reported/?$rid=550e8400-e29b-41d4-a716-446655440000"
	for name, f := range map[string]func(){
		"ParseResponseTopic": func() { _, _ = ParseResponseTopic(res) },
		"ParseDesiredTopic":  func() { _, _ = ParseDesiredTopic(des) },
		"ParseRequestTopic":  func() { _, _ = ParseRequestTopic(req) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", name, n)
		}
	}
}

func TestBuildTopicsAllocateOnce(t *testing.T) {
	rid := "550e8400-e29b-41d4-a716-446655440000"
	for name, f := range map[string]func(){
		"GetTopic":           func() { _, _ = GetTopic(rid) },
		"ReportedPatchTopic": func() { _, _ = ReportedPatchTopic(rid) },
		"ResponseTopic":      func() { _, _ = ResponseTopic(Response{Status: 204, RequestID: rid, Version: 99, HasVersion: true}) },
		"DesiredTopic":       func() { _, _ = DesiredTopic(123456) },
	} {
		if n := testing.AllocsPerRun(100, f); n > 1 {
			t.Errorf("%s allocates %v times per call, want at most 1", name, n)
		}
	}
}

func TestTopicErrorMessage(t *testing.T) {
	_, err := ParseResponseTopic("$iothub/twin/res/200/?x=1")
	if err == nil || !strings.HasPrefix(err.Error(), "twindoc: missing $rid in topic ") {
		t.Fatalf("error = %v, want a twindoc-prefixed message naming the problem", err)
	}
}

func BenchmarkParseResponseTopic(b *testing.B) {
	topic := "$iothub/twin/res/204/?$rid=550e8400-e29b-41d4-a716-446655440000&$version=123456"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponseTopic(topic); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDesiredTopic(b *testing.B) {
	topic := "$iothub/twin/PATCH/properties/desired/?$version=123456"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDesiredTopic(topic); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRequestTopic(b *testing.B) {
	topic := "$iothub/twin/PATCH/properties/reported/?$rid=550e8400-e29b-41d4-a716-446655440000"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequestTopic(topic); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseTopic(b *testing.B) {
	r := Response{Status: 204, RequestID: "550e8400-e29b-41d4-a716-446655440000", Version: 123456, HasVersion: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ResponseTopic(r); err != nil {
			b.Fatal(err)
		}
	}
}
