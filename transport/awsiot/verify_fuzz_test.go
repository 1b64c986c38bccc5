package awsiot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyWebSocketQuery: any query from the network is either the
// valid presigned one or refused with ErrInvalidSignature, never showing
// the secret.
func FuzzVerifyWebSocketQuery(f *testing.F) {
	creds := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	valid, err := PresignWebSocketURL(testEndpoint, "us-east-1", creds, testSigningTime)
	if err != nil {
		f.Fatal(err)
	}
	_, validQuery, _ := strings.Cut(valid, "?")
	f.Add(validQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00")
	f.Add("%zz&=&X-Amz-Date=20240506T070809Z")
	f.Fuzz(func(t *testing.T, query string) {
		err := VerifyWebSocketQuery(testEndpoint, query, "us-east-1", creds, testSigningTime, 5*time.Minute)
		if err == nil {
			return // a query with the valid signature (possibly re-encoded)
		}
		if !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("err %v does not match ErrInvalidSignature", err)
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testToken) {
			t.Fatalf("error %q shows a secret", err)
		}
	})
}
