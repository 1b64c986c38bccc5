package awsiot

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestVerifyWebSocketQuery(t *testing.T) {
	creds := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	now := testSigningTime
	presign := func(host, region string, c Credentials, at time.Time) string {
		u, err := PresignWebSocketURL(host, region, c, at)
		if err != nil {
			t.Fatal(err)
		}
		_, q, _ := strings.Cut(u, "?")
		return q
	}
	good := presign(testEndpoint, "us-east-1", creds, now)
	if err := VerifyWebSocketQuery(testEndpoint, good, "us-east-1", creds, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("valid query: %v", err)
	}
	longTerm := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if err := VerifyWebSocketQuery(testEndpoint, presign(testEndpoint, "us-east-1", longTerm, now), "us-east-1", longTerm, now, time.Minute); err != nil {
		t.Fatalf("long-term credentials: %v", err)
	}

	// The standard SigV4 way, the token signed in, is accepted too.
	q, _ := url.ParseQuery(good)
	req := sigV4Request{method: "GET", path: WebSocketPath, headers: []sigV4Param{{"host", testEndpoint}}, payloadHash: emptyPayloadHash}
	for name, v := range q {
		if name != amzSignature {
			req.query = append(req.query, sigV4Param{name, v[0]})
		}
	}
	creq, _ := req.canonical()
	date := q.Get(amzDate)
	q.Set(amzSignature, signature(deriveSigningKey(testSecret, date[:8], "us-east-1", SigningService),
		stringToSign(date, credentialScope(date[:8], "us-east-1", SigningService), creq)))
	if err := VerifyWebSocketQuery(testEndpoint, q.Encode(), "us-east-1", creds, now, time.Minute); err != nil {
		t.Fatalf("token signed in: %v", err)
	}

	edit := func(f func(url.Values)) string {
		q, _ := url.ParseQuery(good)
		f(q)
		return q.Encode()
	}
	wrongSecret := creds
	wrongSecret.SecretAccessKey = "x"
	tests := []struct {
		name, host, query, region string
		creds                     Credentials
		at                        time.Time
	}{
		{"wrong secret", testEndpoint, good, "us-east-1", wrongSecret, now},
		{"other host", "other.example.com", good, "us-east-1", creds, now},
		{"other region", testEndpoint, good, "eu-west-1", creds, now},
		{"too late", testEndpoint, good, "us-east-1", creds, now.Add(6 * time.Minute)},
		{"too early", testEndpoint, good, "us-east-1", creds, now.Add(-6 * time.Minute)},
		{"unknown key", testEndpoint, presign(testEndpoint, "us-east-1", Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: testSecret, SessionToken: testToken}, now), "us-east-1", creds, now},
		{"no token", testEndpoint, edit(func(q url.Values) { q.Del(amzSecurityToken) }), "us-east-1", creds, now},
		{"wrong token", testEndpoint, edit(func(q url.Values) { q.Set(amzSecurityToken, "x") }), "us-east-1", creds, now},
		{"no signature", testEndpoint, edit(func(q url.Values) { q.Del(amzSignature) }), "us-east-1", creds, now},
		{"two signatures", testEndpoint, edit(func(q url.Values) { q.Add(amzSignature, "00") }), "us-east-1", creds, now},
		{"other algorithm", testEndpoint, edit(func(q url.Values) { q.Set(amzAlgorithm, "AWS4-HMAC-SHA1") }), "us-east-1", creds, now},
		{"bad date", testEndpoint, edit(func(q url.Values) { q.Set(amzDate, "yesterday") }), "us-east-1", creds, now},
		{"other signed headers", testEndpoint, edit(func(q url.Values) { q.Set(amzSignedHeaders, "host;x-amz-date") }), "us-east-1", creds, now},
		{"extra parameter", testEndpoint, edit(func(q url.Values) { q.Set("x", "y") }), "us-east-1", creds, now},
		{"expired", testEndpoint, edit(func(q url.Values) { q.Set(amzExpires, "0") }), "us-east-1", creds, now.Add(time.Second)},
		{"scope for another service", testEndpoint, edit(func(q url.Values) {
			q.Set(amzCredential, strings.Replace(q.Get(amzCredential), SigningService, "s3", 1))
		}), "us-east-1", creds, now},
		{"malformed query", testEndpoint, "%zz", "us-east-1", creds, now},
	}
	for _, tt := range tests {
		err := VerifyWebSocketQuery(tt.host, tt.query, tt.region, tt.creds, tt.at, 5*time.Minute)
		if !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		for _, secret := range []string{testSecret, testToken, q.Get(amzSignature)} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q shows a secret", tt.name, err)
			}
		}
	}
}
