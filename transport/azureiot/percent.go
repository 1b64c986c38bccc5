package azureiot

import "strings"

// isUnreserved reports whether c is in the RFC 3986 unreserved set, the only
// bytes IoT Hub codecs leave unencoded.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// percentEncode encodes every byte of s outside the unreserved set as %XX
// (upper-case hex). A space becomes %20, never '+'.
func percentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// percentDecode decodes %XX escapes (either hex case) in s. Every other byte,
// including '+', stands for itself. On a malformed escape it returns the
// offset of the '%' in s and ok=false.
func percentDecode(s string) (decoded string, badAt int, ok bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, 0, true
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", i, false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", i, false
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), 0, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
