package shadowdoc

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// ParseRequestClientToken reads the emulator's input (a device's get or
// delete request): it never panics, returns a token that fits
// MaxClientTokenLen only from a JSON object, and reads back any token it
// would accept from the request a device sends.
func FuzzParseRequestClientToken(f *testing.F) {
	f.Add([]byte(`{"clientToken":"abc"}`), "abc")
	f.Add([]byte(``), "")
	f.Add([]byte(`{"clientToken":7} `), "x")
	f.Add([]byte(`{"clientToken":"a"}{"clientToken":"b"}`), "\u2028")
	f.Fuzz(func(t *testing.T, payload []byte, token string) {
		got := ParseRequestClientToken(payload)
		if len(got) > MaxClientTokenLen {
			t.Fatalf("token of %d bytes from %q", len(got), payload)
		}
		if got != "" && !json.Valid(payload) {
			t.Fatalf("token %q from invalid JSON %q", got, payload)
		}
		if !utf8.ValidString(token) {
			return
		}
		req, err := json.Marshal(map[string]string{"clientToken": token})
		if err != nil {
			t.Fatal(err)
		}
		want := token
		if len(token) > MaxClientTokenLen {
			want = ""
		}
		if got := ParseRequestClientToken(req); got != want {
			t.Fatalf("ParseRequestClientToken(%s) = %q, want %q", req, got, want)
		}
	})
}
