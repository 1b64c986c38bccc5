package awsiot

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testEndpoint = "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"
	testKeyID    = "AKIDEXAMPLE"
	testSecret   = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken    = "AQoDYXdzEPT//////////wEXAMPLE+token="
)

var testSigningTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// The expected URLs were computed independently with Python's hashlib/hmac,
// following the JavaScript sample of AWS's "MQTT over the WebSocket
// protocol" page (canonical query without the token, "host:{endpoint}\n",
// SHA-256 of ""), not with this package's code.
func TestPresignWebSocketURL(t *testing.T) {
	const base = "wss://" + testEndpoint + "/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIDEXAMPLE%2F20240506%2Fus-east-1%2Fiotdevicegateway%2Faws4_request" +
		"&X-Amz-Date=20240506T070809Z&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=45e9323bedc98af19c73306e8dc2229b9bb340f94ed24ba5a8744d73967cd65f"
	tests := []struct {
		name  string
		creds Credentials
		now   time.Time
		want  string
	}{
		{
			name:  "long-term credentials",
			creds: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
			now:   testSigningTime,
			want:  base,
		},
		{
			name:  "session token appended after the signature, escaped",
			creds: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken},
			now:   testSigningTime,
			want:  base + "&X-Amz-Security-Token=AQoDYXdzEPT%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEXAMPLE%2Btoken%3D",
		},
		{
			name:  "local time zone signs in UTC",
			creds: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
			now:   testSigningTime.In(time.FixedZone("UTC+5", 5*3600)),
			want:  base,
		},
		{
			name:  "sub-second part ignored",
			creds: Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
			now:   testSigningTime.Add(999 * time.Millisecond),
			want:  base,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PresignWebSocketURL(testEndpoint, "us-east-1", tt.creds, tt.now)
			if err != nil {
				t.Fatalf("PresignWebSocketURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("URL:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPresignWebSocketURLParses(t *testing.T) {
	creds := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	raw, err := PresignWebSocketURL(testEndpoint+":443", "eu-west-1", creds, testSigningTime)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "wss" || u.Host != testEndpoint+":443" || u.Path != WebSocketPath {
		t.Errorf("scheme, host, path = %q, %q, %q", u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	want := map[string]string{
		"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
		"X-Amz-Credential":     testKeyID + "/20240506/eu-west-1/iotdevicegateway/aws4_request",
		"X-Amz-Date":           "20240506T070809Z",
		"X-Amz-SignedHeaders":  "host",
		"X-Amz-Security-Token": testToken,
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if sig := q.Get("X-Amz-Signature"); len(sig) != 64 {
		t.Errorf("X-Amz-Signature = %q, want 64 hex digits", sig)
	}
	if len(q) != 6 {
		t.Errorf("query has %d parameters, want 6: %v", len(q), q)
	}
}

// The token is not signed: the same credentials with and without it give
// the same signature, and the signed part is a prefix of the URL.
func TestPresignWebSocketURLTokenNotSigned(t *testing.T) {
	without, err := PresignWebSocketURL(testEndpoint, "us-east-1", Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, testSigningTime)
	if err != nil {
		t.Fatal(err)
	}
	with, err := PresignWebSocketURL(testEndpoint, "us-east-1", Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: "other"}, testSigningTime)
	if err != nil {
		t.Fatal(err)
	}
	if with != without+"&X-Amz-Security-Token=other" {
		t.Errorf("with token:\n%s\nwant the token-less URL plus the token:\n%s", with, without)
	}
}

func TestPresignWebSocketURLErrors(t *testing.T) {
	good := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	tests := []struct {
		name     string
		endpoint string
		region   string
		creds    Credentials
		now      time.Time
		want     error
	}{
		{"empty endpoint", "", "us-east-1", good, testSigningTime, ErrInvalidEndpoint},
		{"endpoint with scheme", "wss://" + testEndpoint, "us-east-1", good, testSigningTime, ErrInvalidEndpoint},
		{"endpoint with path", testEndpoint + "/mqtt", "us-east-1", good, testSigningTime, ErrInvalidEndpoint},
		{"endpoint with user info", "u:" + testSecret + "@" + testEndpoint, "us-east-1", good, testSigningTime, ErrInvalidEndpoint},
		{"endpoint with space", "a b", "us-east-1", good, testSigningTime, ErrInvalidEndpoint},
		{"empty region", testEndpoint, "", good, testSigningTime, ErrInvalidRegion},
		{"upper-case region", testEndpoint, "US-EAST-1", good, testSigningTime, ErrInvalidRegion},
		{"region with slash", testEndpoint, "us/east", good, testSigningTime, ErrInvalidRegion},
		{"no access key ID", testEndpoint, "us-east-1", Credentials{SecretAccessKey: testSecret, SessionToken: testToken}, testSigningTime, ErrMissingCredentials},
		{"no secret", testEndpoint, "us-east-1", Credentials{AccessKeyID: testKeyID, SessionToken: testToken}, testSigningTime, ErrMissingCredentials},
		{"zero time", testEndpoint, "us-east-1", good, time.Time{}, ErrClockNotSet},
		{"unset clock 1970", testEndpoint, "us-east-1", good, time.Unix(42, 0), ErrClockNotSet},
		{"just before 2020", testEndpoint, "us-east-1", good, time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC), ErrClockNotSet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PresignWebSocketURL(tt.endpoint, tt.region, tt.creds, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != "" {
				t.Errorf("URL = %q on error, want empty", got)
			}
			msg := err.Error()
			for _, secret := range []string{testSecret, testToken, testKeyID} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q contains a credential", msg)
				}
			}
			if !strings.HasPrefix(msg, "awsiot: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
		})
	}
}

func TestPresignWebSocketURLFirstSecondOf2020(t *testing.T) {
	creds := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if _, err := PresignWebSocketURL(testEndpoint, "us-east-1", creds, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("2020-01-01T00:00:00Z: %v", err)
	}
}
