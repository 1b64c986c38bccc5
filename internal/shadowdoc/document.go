package shadowdoc

import (
	"errors"
)

// Document is a full shadow document: what get/accepted carries, and what the
// emulator stores. State.Delta is present only when desired differs from
// reported. ClientToken is set only in a get/accepted that answers a get
// request carrying one.
type Document struct {
	State       State    `json:"state"`
	Metadata    Metadata `json:"metadata"`
	Version     int64    `json:"version"`
	Timestamp   int64    `json:"timestamp"`
	ClientToken string   `json:"clientToken,omitempty"`
}

// State is the state of a Document. A section that is empty is absent
// (nil): the service removes desired or reported when an update empties it.
type State struct {
	Desired  map[string]any `json:"desired,omitempty"`
	Reported map[string]any `json:"reported,omitempty"`
	Delta    map[string]any `json:"delta,omitempty"`
}

// Metadata mirrors the shape of State.Desired and State.Reported: every
// scalar leaf becomes {"timestamp":T} (T in Unix seconds, when it was last
// written), objects stay objects and arrays become arrays of per-element
// metadata.
type Metadata struct {
	Desired  map[string]any `json:"desired,omitempty"`
	Reported map[string]any `json:"reported,omitempty"`
}

// Snapshot is one side ("previous" or "current") of an update/documents
// message: the full state and metadata at a version, without delta.
type Snapshot struct {
	State    State    `json:"state"`
	Metadata Metadata `json:"metadata"`
	Version  int64    `json:"version"`
}

// Section is the desired or reported member of an update's state. It has
// three forms, which the service treats differently:
//
//   - absent (the zero Section): the section is left as it is;
//   - null (Null true): the whole section is deleted ("desired": null);
//   - a patch (Fields not nil, possibly empty): merged into the section;
//     members set to nil delete keys.
//
// If Null is true, Fields is ignored.
type Section struct {
	Fields map[string]any
	Null   bool
}

// Patch returns a Section that merges fields into the section. A nil fields
// is treated as an empty patch (not as absent).
func Patch(fields map[string]any) Section {
	if fields == nil {
		fields = map[string]any{}
	}
	return Section{Fields: fields}
}

// Clear returns the Section that deletes the whole section (JSON null).
func Clear() Section { return Section{Null: true} }

// IsAbsent reports whether s leaves its section untouched.
func (s Section) IsAbsent() bool { return !s.Null && s.Fields == nil }

// jsonValue is the JSON value of s, and false when s is absent.
func (s Section) jsonValue() (any, bool) {
	switch {
	case s.Null:
		return nil, true
	case s.Fields != nil:
		return s.Fields, true
	}
	return nil, false
}

// UpdateState is the state member of an update request and of the
// update/accepted that echoes it. Null is "state": null, which clears both
// desired and reported (the service accepts it and bumps the version); when
// Null is true Desired and Reported are ignored.
type UpdateState struct {
	Desired  Section
	Reported Section
	Null     bool
}

// MarshalJSON encodes s: null, or an object with the present sections.
func (s UpdateState) MarshalJSON() ([]byte, error) {
	if s.Null {
		return []byte("null"), nil
	}
	m := make(map[string]any, 2)
	if v, ok := s.Desired.jsonValue(); ok {
		m[keyDesired] = v
	}
	if v, ok := s.Reported.jsonValue(); ok {
		m[keyReported] = v
	}
	return Marshal(m)
}

// UnmarshalJSON decodes s leniently, the way a client reads update/accepted:
// unknown members of state are ignored; desired and reported must be objects
// or null. Numbers decode as json.Number. Use ParseUpdateRequest to validate
// a request the way the service does.
func (s *UpdateState) UnmarshalJSON(data []byte) error {
	var v any
	if err := decode(data, &v); err != nil {
		return err
	}
	*s = UpdateState{}
	switch st := v.(type) {
	case nil:
		s.Null = true
		return nil
	case map[string]any:
		var err error
		if s.Desired, err = sectionOf(st, keyDesired); err != nil {
			return err
		}
		s.Reported, err = sectionOf(st, keyReported)
		return err
	}
	return errStateNotObject
}

var (
	errStateNotObject   = errors.New("shadowdoc: state is not an object")
	errSectionNotObject = errors.New("shadowdoc: desired or reported is not an object")
)

// sectionOf reads state[key] as a Section.
func sectionOf(state map[string]any, key string) (Section, error) {
	v, ok := state[key]
	if !ok {
		return Section{}, nil
	}
	switch x := v.(type) {
	case nil:
		return Section{Null: true}, nil
	case map[string]any:
		return Section{Fields: x}, nil
	}
	return Section{}, errSectionNotObject
}

// Keys of a shadow document.
const (
	keyState       = "state"
	keyDesired     = "desired"
	keyReported    = "reported"
	keyVersion     = "version"
	keyClientToken = "clientToken"
	keyTimestamp   = "timestamp"
)

// UpdateRequest is the payload published to .../update:
// {"state":{"desired":{...},"reported":{...}},"clientToken":"...","version":N}.
type UpdateRequest struct {
	State UpdateState `json:"state"`
	// ClientToken, at most MaxClientTokenLen bytes, is echoed in every response
	// to this request; empty means none.
	ClientToken string `json:"clientToken,omitempty"`
	// Version, if not nil, makes the update conditional: the service applies it
	// only if the shadow's current version equals it, else answers 409.
	Version *int64 `json:"version,omitempty"`
}

// MarshalJSON encodes r compactly. Encode with Marshal to keep '<', '>' and
// '&' unescaped, as sized by StateSize (json.Marshal escapes them).
func (r UpdateRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateRequest // no MarshalJSON: no recursion
	return Marshal(plain(r))
}

// UpdateAccepted is the update/accepted message: the request's state echoed
// as sent (nulls included), metadata for exactly the members sent (a member
// set to null gets {"timestamp":T} too; "state": null gets metadata
// {"timestamp":T}), the new version, and the request's clientToken.
type UpdateAccepted struct {
	State       UpdateState    `json:"state"`
	Metadata    map[string]any `json:"metadata"`
	Version     int64          `json:"version"`
	Timestamp   int64          `json:"timestamp"`
	ClientToken string         `json:"clientToken,omitempty"`
}

// DeltaMessage is the update/delta message. State holds only the desired
// members that differ from reported, with their full path; Metadata mirrors
// it with the desired metadata. Version is the version of the update that
// caused it (the same as that update's update/accepted).
type DeltaMessage struct {
	State       map[string]any `json:"state"`
	Metadata    map[string]any `json:"metadata"`
	Version     int64          `json:"version"`
	Timestamp   int64          `json:"timestamp"`
	ClientToken string         `json:"clientToken,omitempty"`
}

// DocumentsMessage is the update/documents message, published after every
// accepted update: the full document before (absent when the update created
// the shadow) and after.
type DocumentsMessage struct {
	Previous    *Snapshot `json:"previous,omitempty"`
	Current     Snapshot  `json:"current"`
	Timestamp   int64     `json:"timestamp"`
	ClientToken string    `json:"clientToken,omitempty"`
}

// DeleteAccepted is the delete/accepted message. Version is the version the
// deleted shadow had; the service does not reset it, so the next update of
// the same shadow continues from it.
type DeleteAccepted struct {
	Version     int64  `json:"version"`
	Timestamp   int64  `json:"timestamp"`
	ClientToken string `json:"clientToken,omitempty"`
}

// ErrorResponse is the payload of every */rejected topic. Timestamp is absent
// from some of the service's error responses (0 here).
type ErrorResponse struct {
	Code        int    `json:"code"`
	Message     string `json:"message"`
	Timestamp   int64  `json:"timestamp,omitempty"`
	ClientToken string `json:"clientToken,omitempty"`
}

// Err returns the rejection as an *Error, for errors.Is/As.
func (r ErrorResponse) Err() error { return &Error{Code: r.Code, Message: r.Message} }
