package securitytest_test

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/tether-iot/tether/internal/securitytest"
)

// leaky is a value that prints its secret field: what the tests must catch.
type leaky struct {
	User   string
	Secret string
}

// The Recorder sees a secret however it reaches a record: a field of a
// struct, bytes, an error, under WithAttrs and WithGroup, below Debug.
func TestRecorderCapturesEverything(t *testing.T) {
	rec := securitytest.NewRecorder()
	log := rec.Logger().With("conn", leaky{"u", "with-attrs-secret"}).WithGroup("g")
	log.Log(t.Context(), slog.LevelDebug-4, "below debug",
		"v", leaky{"u", "struct-field-secret"},
		"b", []byte("byte-slice-secret"),
		"err", errors.New("error-string-secret"),
		slog.Group("inner", "s", "group-secret"))
	text := rec.Text()
	for _, want := range []string{"with-attrs-secret", "struct-field-secret", "error-string-secret", "group-secret",
		`"b":"Ynl0ZS1zbGljZS1zZWNyZXQ="`,                // the JSON handler's base64
		`b="byte-slice-secret"`,                         // the text handler's
		`leaky{User:"u", Secret:"struct-field-secret"}`, // the Go syntax rendering
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the record does not show %q:\n%s", want, text)
		}
	}
	if got := rec.Records(); got != 1 {
		t.Errorf("Records() = %d, want 1", got)
	}
	if !rec.Enabled(t.Context(), slog.LevelDebug-100) {
		t.Error("not enabled below Debug")
	}
}

func TestScan(t *testing.T) {
	key := []byte("\x00\x01binary-key\xff\xfe")
	token := "tok+en/with=escapes"
	secrets := append(securitytest.BinarySecret("key", key), securitytest.TextSecret("token", token)...)
	secrets = append(secrets, securitytest.Secret{Name: "marker", Value: "&sig=", Marker: true})
	tests := []struct {
		name, text string
		want       []string // names of the secrets found, in order of secrets
	}{
		{"clean", "nothing to see", nil},
		{"base64 key", "key=AAFiaW5hcnkta2V5//4=", []string{"key (form 1)", "key (form 2)"}}, // padded and not
		{"hex key", "k=000162696e6172792d6b6579fffe", []string{"key (form 5)"}},
		{"bytes printed", "[0 1 98 105 110 97 114 121 45 107 101 121 255 254]", []string{"key (form 7)"}},
		{"token", "password=" + token, []string{"token"}},
		{"token in a URL", "?t=" + url.QueryEscape(token), []string{"token (form 1)"}},
		{"marker", "sr=x&sig=y", []string{"marker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range securitytest.Scan("text", tt.text, secrets) {
				got = append(got, f.Secret)
				if strings.Contains(f.Context, "binary-key") || strings.Contains(f.Context, token) {
					t.Errorf("the finding shows the secret: %s", f)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
	// A value too short to scan for is a mistake of the test.
	if f := securitytest.Scan("text", "abc", []securitytest.Secret{{Name: "short", Value: "abc"}}); len(f) != 1 {
		t.Errorf("a short secret gave %v, want one finding", f)
	}
}
