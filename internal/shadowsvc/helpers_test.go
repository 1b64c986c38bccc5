package shadowsvc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestService(opts Options) (*Service, *clock) {
	c := &clock{t: time.Unix(1700000000, 0)}
	opts.Now = c.now
	return New(opts), c
}

// canon re-encodes a JSON text with sorted keys, numbers kept as written.
func canon(t testing.TB, s string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	b, err := shadowdoc.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// render formats publishes as "topic payload" lines with canonical JSON.
func render(t testing.TB, ps []Publish) string {
	t.Helper()
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s\n", p.Topic, canon(t, string(p.Payload)))
	}
	return b.String()
}

// want formats expected "topic payload" pairs like render.
func want(t testing.TB, pairs ...string) string {
	t.Helper()
	var b bytes.Buffer
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(&b, "%s %s\n", pairs[i], canon(t, pairs[i+1]))
	}
	return b.String()
}
