package transport

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidateTopic checks a canonical, device-relative topic: non-empty
// UTF-8 segments separated by "/", no wildcards, no leading "$" and no
// NUL.
func ValidateTopic(topic string) error {
	return validateCanonical(topic, false)
}

// ValidateFilter checks a canonical filter: like ValidateTopic, but "+"
// may stand for a whole segment and "#" for the last one.
func ValidateFilter(filter string) error {
	return validateCanonical(filter, true)
}

func validateCanonical(s string, filter bool) error {
	what := "topic"
	if filter {
		what = "filter"
	}
	bad := func(reason string) error {
		return fmt.Errorf("%w: %s %q: %s", ErrInvalidTopic, what, s, reason)
	}
	switch {
	case s == "":
		return bad("empty")
	case !utf8.ValidString(s):
		return bad("not UTF-8")
	case strings.HasPrefix(s, "$"):
		return bad("starts with $ (reserved by the clouds)")
	case strings.ContainsRune(s, 0):
		return bad("contains NUL")
	}
	rest := s
	for {
		seg, tail, more := strings.Cut(rest, "/")
		switch {
		case seg == "":
			return bad("empty segment")
		case strings.ContainsAny(seg, "+#"):
			if !filter {
				return bad("wildcards are only allowed in filters")
			}
			if seg == "#" && more {
				return bad(`"#" must be the last segment`)
			}
			if seg != "+" && seg != "#" {
				return bad("a wildcard must be a whole segment")
			}
		}
		if !more {
			return nil
		}
		rest = tail
	}
}
