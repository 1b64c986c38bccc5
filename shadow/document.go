package shadow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// State trees (Desired, Reported, Delta, Metadata) are map[string]any as
// decoded from JSON, with numbers as json.Number so that they keep their
// exact value; decode them into your own types with the Decode methods.
// The Client never changes a tree after handing it out, and never keeps one
// it was given: they are the caller's.

// Document is a full shadow document.
type Document struct {
	Desired  map[string]any // nil when empty
	Reported map[string]any // nil when empty
	// Delta holds the desired members that differ from reported, with their
	// full path; nil when there is no difference.
	Delta     map[string]any
	Metadata  Metadata
	Version   int64
	Timestamp time.Time // when the service sent or last wrote it (seconds)
}

// Metadata mirrors Desired and Reported: every leaf becomes
// {"timestamp": T}, the Unix second it was last written.
type Metadata struct {
	Desired  map[string]any
	Reported map[string]any
}

// DecodeDesired decodes d.Desired into v, as encoding/json would.
func (d *Document) DecodeDesired(v any) error { return decodeTree(d.Desired, v) }

// DecodeReported decodes d.Reported into v, as encoding/json would.
func (d *Document) DecodeReported(v any) error { return decodeTree(d.Reported, v) }

// Delta is a change of desired state the device has not reported yet: an
// update/delta message, or the delta of a GET made after a (re)connect.
type Delta struct {
	// State holds the desired members that differ from reported, with their
	// full path.
	State    map[string]any
	Metadata map[string]any
	// Version is the shadow version the delta belongs to.
	Version   int64
	Timestamp time.Time
	// Desired is the whole desired state at Version, as far as the client
	// knows it (its last document with State merged in).
	Desired map[string]any
}

// Decode decodes d.State into v, as encoding/json would.
func (d *Delta) Decode(v any) error { return decodeTree(d.State, v) }

// Documents is an update/documents message: the full document before and
// after an accepted update. Delta is computed from desired and reported.
type Documents struct {
	Previous *Document // nil when the update created the shadow
	Current  Document
	// ClientToken is the token of the request that caused the update; ""
	// for an update made without one (an application, the console).
	ClientToken string
	Timestamp   time.Time
}

// Update is a change of the shadow's state. Desired and Reported are
// anything encoding/json encodes as an object (a struct, a map): it is
// merged into its section, members set to null are removed (mind
// omitempty), arrays replace whole. A nil Desired or Reported leaves its
// section as it is.
type Update struct {
	Desired  any
	Reported any
	// ClearDesired and ClearReported remove a whole section ("desired":
	// null); the matching Desired or Reported must then be nil.
	ClearDesired  bool
	ClearReported bool
	// Version, when positive, makes the update conditional: the service
	// applies it only if the shadow is at this version, else answers 409
	// (ErrVersionConflict). Zero means unconditional.
	Version int64
}

// IsZero reports whether u changes nothing.
func (u Update) IsZero() bool {
	return u.Desired == nil && u.Reported == nil && !u.ClearDesired && !u.ClearReported
}

// Accepted is the service's acknowledgement of an update.
type Accepted struct {
	// Desired and Reported echo the update as the service applied it
	// (members set to null included); nil when not sent or cleared.
	Desired  map[string]any
	Reported map[string]any
	Metadata map[string]any // for exactly the members sent
	// Version is the shadow's version after the update.
	Version   int64
	Timestamp time.Time
}

// request builds the shadowdoc request for u (without token).
func (u Update) request() (*shadowdoc.UpdateRequest, error) {
	req := &shadowdoc.UpdateRequest{}
	var err error
	if req.State.Desired, err = section("desired", u.Desired, u.ClearDesired); err != nil {
		return nil, err
	}
	if req.State.Reported, err = section("reported", u.Reported, u.ClearReported); err != nil {
		return nil, err
	}
	if u.Version > 0 {
		v := u.Version
		req.Version = &v
	}
	return req, nil
}

// section encodes one section of an update.
func section(name string, v any, clear bool) (shadowdoc.Section, error) {
	switch {
	case clear && v != nil:
		return shadowdoc.Section{}, fmt.Errorf("%s is set and cleared at once", name)
	case clear:
		return shadowdoc.Clear(), nil
	case v == nil:
		return shadowdoc.Section{}, nil
	}
	fields, err := toTree(v)
	if err != nil {
		return shadowdoc.Section{}, fmt.Errorf("%s: %w", name, err)
	}
	return shadowdoc.Patch(fields), nil
}

// toTree encodes v with encoding/json and decodes it as a JSON object tree
// with json.Number numbers. The round trip also copies a caller's map.
func toTree(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%T does not encode as a JSON object", v)
	}
	return m, nil
}

// decodeTree decodes a JSON tree into v.
func decodeTree(tree map[string]any, v any) error {
	b, err := shadowdoc.Marshal(tree)
	if err != nil {
		return fmt.Errorf("shadow: decode: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("shadow: decode: %w", err)
	}
	return nil
}

// clone deep-copies a tree (merging no change copies it); nil and empty
// give nil.
func clone(m map[string]any) map[string]any { return shadowdoc.Merge(m, nil) }

func unixTime(ts int64) time.Time {
	if ts == 0 {
		return time.Time{}
	}
	return time.Unix(ts, 0)
}

// documentOf converts a shadowdoc document to a caller-owned Document.
func documentOf(d *shadowdoc.Document) *Document {
	return &Document{
		Desired:   clone(d.State.Desired),
		Reported:  clone(d.State.Reported),
		Delta:     clone(d.State.Delta),
		Metadata:  Metadata{Desired: clone(d.Metadata.Desired), Reported: clone(d.Metadata.Reported)},
		Version:   d.Version,
		Timestamp: unixTime(d.Timestamp),
	}
}

// snapshotDocument converts one side of update/documents to a stored
// document, delta computed.
func snapshotDocument(s shadowdoc.Snapshot, ts int64) shadowdoc.Document {
	return shadowdoc.Document{
		State: shadowdoc.State{
			Desired:  s.State.Desired,
			Reported: s.State.Reported,
			Delta:    shadowdoc.ComputeDelta(s.State.Desired, s.State.Reported),
		},
		Metadata:  s.Metadata,
		Version:   s.Version,
		Timestamp: ts,
	}
}

func acceptedOf(a *shadowdoc.UpdateAccepted) *Accepted {
	return &Accepted{
		Desired:   clone(a.State.Desired.Fields),
		Reported:  clone(a.State.Reported.Fields),
		Metadata:  clone(a.Metadata),
		Version:   a.Version,
		Timestamp: unixTime(a.Timestamp),
	}
}
