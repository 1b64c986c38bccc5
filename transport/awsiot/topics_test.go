package awsiot

import (
	"errors"
	"strings"
	"testing"
)

func mustTopics(t testing.TB, thing string) Topics {
	t.Helper()
	tp, err := NewTopics(thing)
	if err != nil {
		t.Fatalf("NewTopics(%q): %v", thing, err)
	}
	return tp
}

func TestTopicsToAWS(t *testing.T) {
	dev := mustTopics(t, "dev-1")
	cmd, err := TopicsWithPrefix("cmd/dev-1/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		topics    Topics
		canonical string
		want      string
	}{
		{"events", dev, "events", "dev-1/events"},
		{"nested response", dev, "response/sensor/12/reading", "dev-1/response/sensor/12/reading"},
		{"request filter", dev, "request/#", "dev-1/request/#"},
		{"single-level wildcard", dev, "+/status", "dev-1/+/status"},
		{"command scheme request", cmd, "req", "cmd/dev-1/req"},
		{"command scheme response", cmd, "resp", "cmd/dev-1/resp"},
		{"zero Topics passes through", Topics{}, "a/b", "a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.topics.ToAWS(tt.canonical); got != tt.want {
				t.Errorf("ToAWS(%q) = %q, want %q", tt.canonical, got, tt.want)
			}
			buf := make([]byte, 0, 64)
			buf = append(buf, "keep:"...)
			if got := string(tt.topics.AppendAWS(buf, tt.canonical)); got != "keep:"+tt.want {
				t.Errorf("AppendAWS(%q) = %q, want %q", tt.canonical, got, "keep:"+tt.want)
			}
		})
	}
}

func TestTopicsFromAWS(t *testing.T) {
	dev := mustTopics(t, "dev-1")
	cmd, err := TopicsWithPrefix("cmd/dev-1/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		topics Topics
		aws    string
		want   string
		wantOK bool
	}{
		{"own request", dev, "dev-1/request/sensor/list", "request/sensor/list", true},
		{"own single level", dev, "dev-1/events", "events", true},
		{"prefix only is not a topic", dev, "dev-1/", "", false},
		{"prefix without slash", dev, "dev-1", "", false},
		{"other thing", dev, "dev-2/request/x", "", false},
		{"thing name is a prefix of another", dev, "dev-10/request/x", "", false},
		{"case matters", dev, "DEV-1/request/x", "", false},
		{"shadow topic is reserved", dev, "$aws/things/dev-1/shadow/get/accepted", "", false},
		{"empty", dev, "", "", false},
		{"command scheme request", cmd, "cmd/dev-1/req", "req", true},
		{"command scheme other device", cmd, "cmd/dev-2/req", "", false},
		{"command scheme ignores device topics", cmd, "dev-1/request/x", "", false},
		{"zero Topics passes through", Topics{}, "a/b", "a/b", true},
		{"zero Topics still refuses $", Topics{}, "$aws/things/x", "", false},
		{"zero Topics refuses empty", Topics{}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.topics.FromAWS(tt.aws)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("FromAWS(%q) = %q, %v; want %q, %v", tt.aws, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNewTopics(t *testing.T) {
	tests := []struct {
		thing      string
		wantPrefix string
		wantErr    error
	}{
		{"dev-1", "dev-1/", nil},
		{"arn:thing_1", "arn:thing_1/", nil},
		{"", "", ErrInvalidThingName},
		{"dev/1", "", ErrInvalidThingName},
		{"dev+1", "", ErrInvalidThingName},
		{strings.Repeat("a", MaxThingNameLength+1), "", ErrInvalidThingName},
	}
	for _, tt := range tests {
		got, err := NewTopics(tt.thing)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("NewTopics(%q) err = %v, want %v", tt.thing, err, tt.wantErr)
		}
		if got.Prefix() != tt.wantPrefix {
			t.Errorf("NewTopics(%q).Prefix() = %q, want %q", tt.thing, got.Prefix(), tt.wantPrefix)
		}
	}
}

func TestTopicsWithPrefix(t *testing.T) {
	tests := []struct {
		prefix  string
		wantErr error
	}{
		{"", nil},
		{"cmd/dev-1/", nil},
		{"fleet/a/", nil},
		{"no-slash-", nil},
		{"a/+/", ErrInvalidTopicPrefix},
		{"a/#", ErrInvalidTopicPrefix},
		{"a\x00/", ErrInvalidTopicPrefix},
		{"\xff/", ErrInvalidTopicPrefix},
		{"$aws/things/", ErrInvalidTopicPrefix},
	}
	for _, tt := range tests {
		got, err := TopicsWithPrefix(tt.prefix)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("TopicsWithPrefix(%q) err = %v, want %v", tt.prefix, err, tt.wantErr)
			continue
		}
		if err == nil && got.Prefix() != tt.prefix {
			t.Errorf("TopicsWithPrefix(%q).Prefix() = %q", tt.prefix, got.Prefix())
		}
	}
}

// The allocation budget: canonical→AWS costs exactly the result string with
// ToAWS and nothing with AppendAWS on a reused buffer; AWS→canonical costs
// nothing.
func TestTopicsAllocations(t *testing.T) {
	tp := mustTopics(t, "gateway-0042")
	buf := make([]byte, 0, MaxTopicLength)
	var s string
	var ok bool
	if n := testing.AllocsPerRun(100, func() { s = tp.ToAWS("response/sensor/12/reading") }); n != 1 {
		t.Errorf("ToAWS allocs = %v, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = tp.AppendAWS(buf[:0], "response/sensor/12/reading") }); n != 0 {
		t.Errorf("AppendAWS allocs = %v, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { s, ok = tp.FromAWS("gateway-0042/request/sensor/list") }); n != 0 {
		t.Errorf("FromAWS allocs = %v, want 0", n)
	}
	_, _ = s, ok
}

var (
	benchString string
	benchBytes  []byte
	benchOK     bool
)

func BenchmarkTopicsToAWS(b *testing.B) {
	tp := mustTopics(b, "gateway-0042")
	b.ReportAllocs()
	for b.Loop() {
		benchString = tp.ToAWS("response/sensor/12/reading")
	}
}

func BenchmarkTopicsAppendAWS(b *testing.B) {
	tp := mustTopics(b, "gateway-0042")
	buf := make([]byte, 0, MaxTopicLength)
	b.ReportAllocs()
	for b.Loop() {
		buf = tp.AppendAWS(buf[:0], "response/sensor/12/reading")
	}
	benchBytes = buf
}

func BenchmarkTopicsFromAWS(b *testing.B) {
	tp := mustTopics(b, "gateway-0042")
	b.ReportAllocs()
	for b.Loop() {
		benchString, benchOK = tp.FromAWS("gateway-0042/request/sensor/list")
	}
}

func BenchmarkValidatePublish(b *testing.B) {
	payload := make([]byte, 1024)
	b.ReportAllocs()
	var err error
	for b.Loop() {
		err = ValidatePublish("gateway-0042/response/sensor/12/reading", payload, 1)
	}
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPresignWebSocketURL(b *testing.B) {
	creds := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	b.ReportAllocs()
	for b.Loop() {
		u, err := PresignWebSocketURL(testEndpoint, "us-east-1", creds, testSigningTime)
		if err != nil {
			b.Fatal(err)
		}
		benchString = u
	}
}
