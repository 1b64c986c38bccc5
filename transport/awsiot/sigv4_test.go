package awsiot

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// Published SigV4 vectors. Sources (verified through the search tool, see the
// report): AWS General Reference "Signature Version 4 signing process" /
// IAM User Guide "Create a signed AWS API request" (the IAM ListUsers
// example of 2015-08-30), the AWS SigV4 test suite (get-vanilla,
// get-vanilla-query-order-key-case), and the Amazon S3 API Reference
// "Authenticating Requests: Using Query Parameters" (the examplebucket
// presigned GET of 2013-05-24). The IAM key and signature are also pinned by
// awslabs/smithy-rs aws-sigv4 (sign.rs test_signature_calculation).
func TestSigV4PublishedVectors(t *testing.T) {
	const (
		docSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		// The S3 page uses a different example secret: "/" where the
		// general reference has "+".
		s3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	tests := []struct {
		name         string
		req          sigV4Request
		secret       string
		amzDate      string
		region       string
		service      string
		wantCreq     string // exact canonical request, when the source prints it
		wantCreqHash string
		wantKey      string // signing key, when the source prints it
		wantSig      string
	}{
		{
			name: "IAM ListUsers (general reference example)",
			req: sigV4Request{
				method: "GET",
				path:   "/",
				query:  []sigV4Param{{"Version", "2010-05-08"}, {"Action", "ListUsers"}},
				headers: []sigV4Param{
					{"Host", "iam.amazonaws.com"},
					{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
					{"X-Amz-Date", "20150830T123600Z"},
				},
				payloadHash: emptyPayloadHash,
			},
			secret:  docSecret,
			amzDate: "20150830T123600Z",
			region:  "us-east-1",
			service: "iam",
			wantCreq: "GET\n/\nAction=ListUsers&Version=2010-05-08\n" +
				"content-type:application/x-www-form-urlencoded; charset=utf-8\n" +
				"host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
				"content-type;host;x-amz-date\n" + emptyPayloadHash,
			wantCreqHash: "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
			wantKey:      "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
			wantSig:      "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		},
		{
			name: "test suite get-vanilla",
			req: sigV4Request{
				method:      "GET",
				path:        "/",
				headers:     []sigV4Param{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
				payloadHash: emptyPayloadHash,
			},
			secret:  docSecret,
			amzDate: "20150830T123600Z",
			region:  "us-east-1",
			service: "service",
			wantCreq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
				"host;x-amz-date\n" + emptyPayloadHash,
			wantSig: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		},
		{
			name: "test suite get-vanilla-query-order-key-case",
			req: sigV4Request{
				method:      "GET",
				path:        "/",
				query:       []sigV4Param{{"Param2", "value2"}, {"Param1", "value1"}},
				headers:     []sigV4Param{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
				payloadHash: emptyPayloadHash,
			},
			secret:  docSecret,
			amzDate: "20150830T123600Z",
			region:  "us-east-1",
			service: "service",
			wantSig: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
		},
		{
			name: "S3 presigned GET examplebucket/test.txt",
			req: sigV4Request{
				method: "GET",
				path:   "/test.txt",
				query: []sigV4Param{
					{"X-Amz-SignedHeaders", "host"},
					{"X-Amz-Expires", "86400"},
					{"X-Amz-Date", "20130524T000000Z"},
					{"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
					{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
				},
				headers:     []sigV4Param{{"host", "examplebucket.s3.amazonaws.com"}},
				payloadHash: "UNSIGNED-PAYLOAD",
			},
			secret:  s3Secret,
			amzDate: "20130524T000000Z",
			region:  "us-east-1",
			service: "s3",
			wantCreq: "GET\n/test.txt\n" +
				"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n" +
				"host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD",
			wantCreqHash: "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
			wantSig:      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creq, _ := tt.req.canonical()
			if tt.wantCreq != "" && creq != tt.wantCreq {
				t.Errorf("canonical request:\n%s\nwant:\n%s", creq, tt.wantCreq)
			}
			if tt.wantCreqHash != "" {
				sum := sha256.Sum256([]byte(creq))
				if got := hex.EncodeToString(sum[:]); got != tt.wantCreqHash {
					t.Errorf("canonical request hash = %s, want %s", got, tt.wantCreqHash)
				}
			}
			date := tt.amzDate[:8]
			key := deriveSigningKey(tt.secret, date, tt.region, tt.service)
			if tt.wantKey != "" {
				if got := hex.EncodeToString(key); got != tt.wantKey {
					t.Errorf("signing key = %s, want %s", got, tt.wantKey)
				}
			}
			sts := stringToSign(tt.amzDate, credentialScope(date, tt.region, tt.service), creq)
			if got := signature(key, sts); got != tt.wantSig {
				t.Errorf("signature = %s, want %s", got, tt.wantSig)
			}
		})
	}
}

// The general reference prints the IAM example's string to sign.
func TestStringToSignPublished(t *testing.T) {
	creq := "GET\n/\nAction=ListUsers&Version=2010-05-08\n" +
		"content-type:application/x-www-form-urlencoded; charset=utf-8\n" +
		"host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
		"content-type;host;x-amz-date\n" + emptyPayloadHash
	want := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
		"f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
	if got := stringToSign("20150830T123600Z", credentialScope("20150830", "us-east-1", "iam"), creq); got != want {
		t.Errorf("string to sign:\n%s\nwant:\n%s", got, want)
	}
}

func TestEmptyPayloadHash(t *testing.T) {
	sum := sha256.Sum256(nil)
	if got := hex.EncodeToString(sum[:]); got != emptyPayloadHash {
		t.Errorf("emptyPayloadHash = %s, want %s", emptyPayloadHash, got)
	}
}

func TestCanonicalHeaders(t *testing.T) {
	tests := []struct {
		name       string
		headers    []sigV4Param
		wantBlock  string
		wantSigned string
	}{
		{"lower-cased and sorted", []sigV4Param{{"X-Amz-Date", "d"}, {"Host", "h"}}, "host:h\nx-amz-date:d\n", "host;x-amz-date"},
		{"values trimmed, inner spaces collapsed", []sigV4Param{{"My-Header", "  a   b  c "}}, "my-header:a b c\n", "my-header"},
		{"duplicates joined with commas in order", []sigV4Param{{"X-A", "1"}, {"x-a", "2"}}, "x-a:1,2\n", "x-a"},
		{"none", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sigV4Request{headers: tt.headers}
			block, signed := r.canonicalHeaders()
			if block != tt.wantBlock || signed != tt.wantSigned {
				t.Errorf("canonicalHeaders() = %q, %q; want %q, %q", block, signed, tt.wantBlock, tt.wantSigned)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		name  string
		query []sigV4Param
		want  string
	}{
		{"empty", nil, ""},
		{"sorted by name", []sigV4Param{{"b", "1"}, {"a", "2"}}, "a=2&b=1"},
		{"same name sorted by value", []sigV4Param{{"a", "2"}, {"a", "1"}}, "a=1&a=2"},
		{"upper case sorts before lower case", []sigV4Param{{"a", ""}, {"B", ""}}, "B=&a="},
		{"encoded", []sigV4Param{{"k y", "a/b+c=d~"}}, "k%20y=a%2Fb%2Bc%3Dd~"},
		{"sorted by encoded name, not by the pair", []sigV4Param{{"a-", "1"}, {"a", "2"}}, "a=2&a-=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sigV4Request{query: tt.query}
			if got := r.canonicalQuery(); got != tt.want {
				t.Errorf("canonicalQuery() = %q, want %q", got, tt.want)
			}
		})
	}
}
