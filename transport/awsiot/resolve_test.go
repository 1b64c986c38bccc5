package awsiot

import (
	"errors"
	"strings"
	"testing"
)

func TestRegionFromEndpoint(t *testing.T) {
	tests := []struct {
		endpoint, region string
		ok               bool
	}{
		{"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", "us-east-1", true},
		{"a1b2c3-ats.iot.cn-north-1.amazonaws.com.cn", "cn-north-1", true},
		{"A1B2-ATS.IOT.EU-WEST-1.AMAZONAWS.COM", "eu-west-1", true},
		{"iot.example.com", "", false},
		{"localhost", "", false},
		{"x.iot..amazonaws.com", "", false},
	}
	for _, tt := range tests {
		if r, ok := regionFromEndpoint(tt.endpoint); r != tt.region || ok != tt.ok {
			t.Errorf("regionFromEndpoint(%q) = %q, %v", tt.endpoint, r, ok)
		}
	}
}

func TestRedactQuery(t *testing.T) {
	const url = "wss://h/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeef&X-Amz-Security-Token=TOKEN"
	cause := errors.New("dial " + url + ": refused")
	err := redactQuery(cause, url)
	if strings.Contains(err.Error(), "deadbeef") || strings.Contains(err.Error(), "TOKEN") {
		t.Fatalf("not redacted: %q", err)
	}
	if !errors.Is(err, cause) {
		t.Fatalf("the cause is lost")
	}
	partial := errors.New("bad X-Amz-Signature=deadbeef")
	if err := redactQuery(partial, url); strings.Contains(err.Error(), "deadbeef") {
		t.Fatalf("not redacted: %q", err)
	}
	plain := errors.New("connection refused")
	if err := redactQuery(plain, url); err != plain {
		t.Fatalf("an error without the URL was changed: %v", err)
	}
}
