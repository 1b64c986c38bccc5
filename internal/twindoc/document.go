package twindoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Service keys IoT Hub adds to desired and reported properties.
const (
	VersionKey  = "$version"
	MetadataKey = "$metadata"
)

// ErrMalformedDocument: a payload that is not a UTF-8 JSON object of the
// expected shape. Errors from the parse functions wrap it (and the JSON
// decoder's error, when there is one).
var ErrMalformedDocument = errors.New("twindoc: malformed twin document")

// Properties is one side of a twin (desired or reported) or a desired patch,
// with the service keys taken out of the user's map.
type Properties struct {
	// Values are the user properties, without $version and $metadata.
	// Parse functions never leave it nil.
	Values map[string]any
	// Version is $version: incremented by the hub on every change.
	Version int64
	// Metadata is $metadata ($lastUpdated timestamps per node), nil if absent.
	Metadata map[string]any
}

// MarshalJSON encodes p as IoT Hub does: the values plus "$version" and, if
// p.Metadata is not nil, "$metadata". Those two keys win over values of the
// same name. HTML characters are not escaped.
func (p Properties) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Values)+2)
	for k, v := range p.Values {
		m[k] = v
	}
	m[VersionKey] = p.Version
	if p.Metadata != nil {
		m[MetadataKey] = p.Metadata
	}
	return Encode(m)
}

// Twin is the full twin a device reads with GET:
// {"desired":{...,"$version":N},"reported":{...,"$version":M}}.
type Twin struct {
	Desired  Properties
	Reported Properties
}

// MarshalJSON encodes t as the payload of a GET response (the emulator side).
func (t Twin) MarshalJSON() ([]byte, error) {
	return Encode(struct {
		Desired  Properties `json:"desired"`
		Reported Properties `json:"reported"`
	}{t.Desired, t.Reported})
}

// Encode marshals v without escaping <, > and & (json.Marshal would), so the
// bytes on the wire are what a person wrote.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("twindoc: encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeObject decodes a UTF-8 JSON object with exact numbers (json.Number).
// Anything else (invalid UTF-8, another JSON type, trailing data) is an error
// wrapping ErrMalformedDocument.
func DecodeObject(payload []byte) (map[string]any, error) {
	if !utf8.Valid(payload) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrMalformedDocument)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedDocument, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: null instead of an object", ErrMalformedDocument)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", ErrMalformedDocument)
	}
	return m, nil
}

// Normalize turns any map encoding/json can marshal into the form the rest
// of this package works on: a tree decoded by DecodeObject, with exact
// numbers (json.Number) and no value shared with m.
func Normalize(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("twindoc: encode: %w", err)
	}
	return DecodeObject(b)
}

// ParseTwin parses the payload of a 200 response to GET. Both desired and
// reported must be objects with a $version; other top-level members are
// ignored.
func ParseTwin(payload []byte) (Twin, error) {
	m, err := DecodeObject(payload)
	if err != nil {
		return Twin{}, err
	}
	var t Twin
	if t.Desired, err = propertiesMember(m, "desired"); err != nil {
		return Twin{}, err
	}
	if t.Reported, err = propertiesMember(m, "reported"); err != nil {
		return Twin{}, err
	}
	return t, nil
}

func propertiesMember(m map[string]any, name string) (Properties, error) {
	v, ok := m[name]
	if !ok {
		return Properties{}, fmt.Errorf("%w: missing %q", ErrMalformedDocument, name)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return Properties{}, fmt.Errorf("%w: %q is not an object", ErrMalformedDocument, name)
	}
	return splitProperties(obj, name+".")
}

// ParseDesiredPatch parses the payload of a desired-properties patch:
// {...,"$version":N}. A null value in Values means "delete this key" (see Merge).
func ParseDesiredPatch(payload []byte) (Properties, error) {
	m, err := DecodeObject(payload)
	if err != nil {
		return Properties{}, err
	}
	return splitProperties(m, "")
}

// ParseReportedPatch parses and validates the payload of a reported-properties
// patch (the emulator side: any error means status 400). A device validates a
// patch before sending it the same way, on its marshalled bytes. Errors wrap
// ErrMalformedDocument or are a *ValidationError.
func ParseReportedPatch(payload []byte) (map[string]any, error) {
	m, err := DecodeObject(payload)
	if err != nil {
		return nil, err
	}
	if err := Validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// splitProperties takes $version (required) and $metadata (optional) out of m,
// which becomes Values. prefix names m in error messages.
func splitProperties(m map[string]any, prefix string) (Properties, error) {
	raw, ok := m[VersionKey]
	if !ok {
		return Properties{}, fmt.Errorf("%w: missing %s%s", ErrMalformedDocument, prefix, VersionKey)
	}
	num, ok := raw.(json.Number)
	if !ok {
		return Properties{}, fmt.Errorf("%w: %s%s is not a number", ErrMalformedDocument, prefix, VersionKey)
	}
	version, ok := parseNonNegative(string(num))
	if !ok {
		return Properties{}, fmt.Errorf("%w: %s%s %s is not a non-negative 64-bit integer", ErrMalformedDocument, prefix, VersionKey, num)
	}
	p := Properties{Version: version, Values: m}
	if raw, ok := m[MetadataKey]; ok {
		meta, ok := raw.(map[string]any)
		if !ok {
			return Properties{}, fmt.Errorf("%w: %s%s is not an object", ErrMalformedDocument, prefix, MetadataKey)
		}
		p.Metadata = meta
		delete(m, MetadataKey)
	}
	delete(m, VersionKey)
	return p, nil
}
