package transport

import (
	"bytes"
	"testing"
)

func TestPayloadClass(t *testing.T) {
	if maxPooledPayload != 256<<10 {
		t.Fatalf("maxPooledPayload = %d, want Azure's 256 KiB", maxPooledPayload)
	}
	for _, tc := range []struct{ n, class int }{
		{0, -1}, {minPooledPayload - 1, -1},
		{minPooledPayload, 0}, {minPooledPayload + 1, 1},
		{4096, 2}, {4097, 3},
		{maxPooledPayload - 1, payloadClassCount - 1}, {maxPooledPayload, payloadClassCount - 1},
		{maxPooledPayload + 1, -1},
	} {
		if got := payloadClass(tc.n); got != tc.class {
			t.Errorf("payloadClass(%d) = %d, want %d", tc.n, got, tc.class)
		}
		if tc.class >= 0 && minPooledPayload<<tc.class < tc.n {
			t.Errorf("class %d (%d bytes) cannot hold %d bytes", tc.class, minPooledPayload<<tc.class, tc.n)
		}
	}
}

// A copy is equal to its source and independent of it, whether pooled or
// not, and a released buffer comes back as a copy of the next payload,
// not of the last.
func TestCopyPayload(t *testing.T) {
	for _, n := range []int{0, 1, minPooledPayload - 1, minPooledPayload, 4096, 5000, maxPooledPayload, maxPooledPayload + 1} {
		src := bytes.Repeat([]byte{'a'}, n)
		c := copyPayload(src)
		if !bytes.Equal(c.b, src) {
			t.Fatalf("copy of %d bytes differs", n)
		}
		if pooled := c.pooled != nil; pooled != (payloadClass(n) >= 0) {
			t.Fatalf("copy of %d bytes pooled = %v", n, pooled)
		}
		if n > 0 {
			src[0] = 'b'
			if c.b[0] != 'a' {
				t.Fatalf("copy of %d bytes shares its source", n)
			}
		}
		c.release()
		next := bytes.Repeat([]byte{'c'}, n)
		if c2 := copyPayload(next); !bytes.Equal(c2.b, next) {
			t.Fatalf("copy of %d bytes after a release differs", n)
		}
	}
}

func BenchmarkCopyPayload(b *testing.B) {
	p := bytes.Repeat([]byte{'x'}, 4096)
	b.ReportAllocs()
	for b.Loop() {
		copyPayload(p).release()
	}
}
