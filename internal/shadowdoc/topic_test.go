package shadowdoc

import (
	"errors"
	"strings"
	"testing"
)

func TestTopicBuildParse(t *testing.T) {
	tests := []struct {
		topic Topic
		want  string
	}{
		{Topic{Thing: "dev1", Op: OpGet}, "$aws/things/dev1/shadow/get"},
		{Topic{Thing: "dev1", Op: OpGet, Kind: KindAccepted}, "$aws/things/dev1/shadow/get/accepted"},
		{Topic{Thing: "dev1", Op: OpGet, Kind: KindRejected}, "$aws/things/dev1/shadow/get/rejected"},
		{Topic{Thing: "dev1", Op: OpUpdate}, "$aws/things/dev1/shadow/update"},
		{Topic{Thing: "dev1", Op: OpUpdate, Kind: KindAccepted}, "$aws/things/dev1/shadow/update/accepted"},
		{Topic{Thing: "dev1", Op: OpUpdate, Kind: KindRejected}, "$aws/things/dev1/shadow/update/rejected"},
		{Topic{Thing: "dev1", Op: OpUpdate, Kind: KindDelta}, "$aws/things/dev1/shadow/update/delta"},
		{Topic{Thing: "dev1", Op: OpUpdate, Kind: KindDocuments}, "$aws/things/dev1/shadow/update/documents"},
		{Topic{Thing: "dev1", Op: OpDelete}, "$aws/things/dev1/shadow/delete"},
		{Topic{Thing: "dev1", Op: OpDelete, Kind: KindAccepted}, "$aws/things/dev1/shadow/delete/accepted"},
		{Topic{Thing: "Gw:01_a-b", Shadow: "config", Op: OpUpdate, Kind: KindDelta}, "$aws/things/Gw:01_a-b/shadow/name/config/update/delta"},
		{Topic{Thing: "t", Shadow: "s:1_x-Y", Op: OpDelete, Kind: KindRejected}, "$aws/things/t/shadow/name/s:1_x-Y/delete/rejected"},
		{Topic{Thing: "name", Shadow: "name", Op: OpGet}, "$aws/things/name/shadow/name/name/get"},
		{Topic{Thing: "shadow", Op: OpGet}, "$aws/things/shadow/shadow/get"},
	}
	for _, tt := range tests {
		got, err := tt.topic.Build()
		if err != nil || got != tt.want {
			t.Errorf("Build(%+v) = %q, %v; want %q", tt.topic, got, err, tt.want)
			continue
		}
		back, err := ParseTopic(got)
		if err != nil || back != tt.topic {
			t.Errorf("ParseTopic(%q) = %+v, %v; want %+v", got, back, err, tt.topic)
		}
	}
}

func TestParseTopicErrors(t *testing.T) {
	tests := []struct {
		topic string
		err   error
	}{
		{"", ErrInvalidTopic},
		{"$aws/things/dev1/shadow", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/get/", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/get/accepted/extra", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/list", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/get/delta", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/delete/documents", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/update/approved", ErrInvalidTopic},
		{"$aws/things/dev1/jobs/get", ErrInvalidTopic},
		{"aws/things/dev1/shadow/get", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/name/get", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/name/s", ErrInvalidTopic},
		{"$aws/things/dev1/shadow/name//get", ErrInvalidShadowName},
		{"$aws/things/dev1/shadow/name/s$/get", ErrInvalidShadowName},
		{"$aws/things//shadow/get", ErrInvalidThingName},
		{"$aws/things/dev 1/shadow/get", ErrInvalidThingName},
		{"$aws/things/+/shadow/get", ErrInvalidThingName},
		{"$aws/things/#/shadow/get", ErrInvalidThingName},
		{"$aws/things/" + strings.Repeat("a", 129) + "/shadow/get", ErrInvalidThingName},
		{"$aws/things/t/shadow/name/" + strings.Repeat("a", 65) + "/get", ErrInvalidShadowName},
	}
	for _, tt := range tests {
		if _, err := ParseTopic(tt.topic); !errors.Is(err, tt.err) {
			t.Errorf("ParseTopic(%q) = %v, want %v", tt.topic, err, tt.err)
		}
	}
}

func TestNameValidation(t *testing.T) {
	thing128 := strings.Repeat("T", 128)
	shadow64 := strings.Repeat("s", 64)
	ok := []Topic{
		{Thing: thing128, Op: OpGet},
		{Thing: thing128, Shadow: shadow64, Op: OpGet},
		{Thing: "azAZ09:_-", Shadow: "azAZ09:_-", Op: OpGet},
	}
	for _, tp := range ok {
		if _, err := tp.Build(); err != nil {
			t.Errorf("Build(%+v): %v", tp, err)
		}
	}
	bad := []struct {
		topic Topic
		err   error
	}{
		{Topic{Thing: thing128 + "T", Op: OpGet}, ErrInvalidThingName},
		{Topic{Thing: "t", Shadow: shadow64 + "s", Op: OpGet}, ErrInvalidShadowName},
		{Topic{Thing: "", Op: OpGet}, ErrInvalidThingName},
		{Topic{Thing: "a/b", Op: OpGet}, ErrInvalidThingName},
		{Topic{Thing: "é", Op: OpGet}, ErrInvalidThingName},
		{Topic{Thing: "t", Shadow: "a.b", Op: OpGet}, ErrInvalidShadowName},
		{Topic{Thing: "t", Op: "patch"}, ErrInvalidTopic},
		{Topic{Thing: "t", Op: OpGet, Kind: "ok"}, ErrInvalidTopic},
		{Topic{Thing: "t", Op: OpDelete, Kind: KindDelta}, ErrInvalidTopic},
	}
	for _, tt := range bad {
		if _, err := tt.topic.Build(); !errors.Is(err, tt.err) {
			t.Errorf("Build(%+v) = %v, want %v", tt.topic, err, tt.err)
		}
	}
}

func TestPrefix(t *testing.T) {
	if p, err := Prefix("dev1", ""); err != nil || p != "$aws/things/dev1/shadow" {
		t.Errorf("classic prefix = %q, %v", p, err)
	}
	if p, err := Prefix("dev1", "cfg"); err != nil || p != "$aws/things/dev1/shadow/name/cfg" {
		t.Errorf("named prefix = %q, %v", p, err)
	}
	if _, err := Prefix("dev/1", ""); !errors.Is(err, ErrInvalidThingName) {
		t.Errorf("bad thing: %v", err)
	}
}
