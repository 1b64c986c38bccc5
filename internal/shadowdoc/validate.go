package shadowdoc

import (
	"fmt"
)

// Service limits.
const (
	// MaxStateSize is the largest allowed size in bytes of desired plus
	// reported, each measured as compact JSON (see StateSize). Metadata does
	// not count. One byte more is rejected with 413.
	MaxStateSize = 8192

	// DefaultMaxDepth is the default nesting limit under desired and under
	// reported, counted as Depth counts: "desired":{"a":{"b":1}} is depth 2.
	// AWS's rejection says "maximum is 6" because it also counts the state
	// object; AWS's own local implementation (Greengrass ShadowManager) counts
	// state as level 1, desired as level 2 and rejects beyond 6, which is 5
	// here. Other AWS pages say 8: the limit is configurable (Limits.MaxDepth).
	DefaultMaxDepth = 5

	// MaxClientTokenLen is the longest clientToken in bytes; a longer one is
	// rejected with 400 "Invalid clientToken".
	MaxClientTokenLen = 64
)

// Limits are the content limits enforced by ValidateRequest and ApplyUpdate.
// The zero value means the service's defaults.
type Limits struct {
	MaxDepth     int // 0 means DefaultMaxDepth
	MaxStateSize int // 0 means MaxStateSize
}

func (l Limits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxDepth
}

func (l Limits) maxStateSize() int {
	if l.MaxStateSize > 0 {
		return l.MaxStateSize
	}
	return MaxStateSize
}

// ValidateRequest checks an update request the way the service checks its
// content, before sending it (client) or before applying it (emulator):
//
//   - clientToken at most MaxClientTokenLen bytes (400 "Invalid clientToken");
//   - version, if set, not negative (400 "Invalid version");
//   - desired and reported each at most lim's depth (400 "JSON contains too
//     many levels of nesting; maximum is N+1", N+1 because the service counts
//     the state object too);
//   - no null element in any array (400).
//
// The size limit is not checked here: it applies to the document after the
// merge (ApplyUpdate). A client can bound it with CheckStateSize. It returns
// nil or an *Error.
func ValidateRequest(req *UpdateRequest, lim Limits) error {
	if len(req.ClientToken) > MaxClientTokenLen {
		return badRequest(MsgInvalidClientToken)
	}
	if req.Version != nil && *req.Version < 0 {
		return badRequest(MsgInvalidVersion)
	}
	if req.State.Null {
		return nil
	}
	for _, s := range [...]Section{req.State.Desired, req.State.Reported} {
		if s.Null || s.Fields == nil {
			continue
		}
		if err := CheckDepth(s.Fields, lim.MaxDepth); err != nil {
			return err
		}
		if hasNullInArray(s.Fields) {
			return badRequest(MsgNullInArray)
		}
	}
	return nil
}

// CheckDepth returns a 400 *Error if section (desired or reported) is nested
// deeper than maxDepth levels (0 means DefaultMaxDepth), counted as Depth
// counts.
func CheckDepth(section map[string]any, maxDepth int) error {
	lim := Limits{MaxDepth: maxDepth}.maxDepth()
	if section != nil && Depth(section) > lim {
		return badRequest(fmt.Sprintf(msgTooDeepFormat, lim+1))
	}
	return nil
}

// StateSize is the size the service counts against MaxStateSize: the length
// of desired plus the length of reported, each encoded as compact JSON
// without HTML escaping (a nil section counts 0). Numbers count as written.
// An encoding failure (a value that is not JSON, such as NaN) is returned.
func StateSize(desired, reported map[string]any) (int, error) {
	n := 0
	for _, s := range [...]map[string]any{desired, reported} {
		if s == nil {
			continue
		}
		b, err := Marshal(s)
		if err != nil {
			return 0, fmt.Errorf("shadowdoc: encode state: %w", err)
		}
		n += len(b)
	}
	return n, nil
}

// CheckStateSize returns a 413 *Error if StateSize(desired, reported) is over
// maxSize (0 means MaxStateSize). A client checks the document it expects
// after its update (or, as a bound, the sections it sends); the emulator
// checks the merged document.
func CheckStateSize(desired, reported map[string]any, maxSize int) error {
	lim := Limits{MaxStateSize: maxSize}.maxStateSize()
	n, err := StateSize(desired, reported)
	if err != nil {
		return badRequest(MsgInvalidJSON)
	}
	if n > lim {
		return &Error{Code: CodePayloadTooLarge, Message: MsgPayloadTooLarge}
	}
	return nil
}
