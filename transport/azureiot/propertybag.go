package azureiot

import "strings"

// Property is one entry of an IoT Hub property bag.
type Property struct {
	// Name is the decoded property name; never empty.
	Name string
	// Value is the decoded value; empty when Null.
	Value string
	// Null is true for a bare name ("key"), which IoT Hub reads as a null
	// value, as opposed to "key=", an empty string.
	Null bool
}

// PropertyBag is a decoded IoT Hub property bag, "key=value&key2=value2", in
// wire order. It is lossless: it keeps order, duplicates and the difference
// between a null and an empty value. Properties is the structured view.
type PropertyBag []Property

// ParsePropertyBag decodes an encoded property bag. It splits on '&' first,
// then each part on its first '=', and only then percent-decodes each name
// and value, so encoded '&', '=' and ';' inside them survive. (Decoding the
// whole string first, as some SDKs do, splits such values apart.) '+' stands
// for itself, not for a space. Empty parts ("a=1&&b=2", a trailing '&') are
// skipped.
//
// It returns a *PropertyError (matching ErrInvalidPropertyBag) for a
// malformed percent escape or an empty name ("=value").
func ParsePropertyBag(s string) (PropertyBag, error) {
	if s == "" {
		return nil, nil
	}
	bag := make(PropertyBag, 0, strings.Count(s, "&")+1)
	off := 0
	for off <= len(s) {
		end := strings.IndexByte(s[off:], '&')
		if end < 0 {
			end = len(s)
		} else {
			end += off
		}
		part := s[off:end]
		if part != "" {
			p, err := parseProperty(part, off)
			if err != nil {
				return nil, err
			}
			bag = append(bag, p)
		}
		off = end + 1
	}
	if len(bag) == 0 {
		return nil, nil
	}
	return bag, nil
}

// parseProperty decodes one "name[=value]" part found at offset off.
func parseProperty(part string, off int) (Property, error) {
	rawName, rawValue, hasValue := strings.Cut(part, "=")
	if rawName == "" {
		return Property{}, &PropertyError{Offset: off, Reason: "empty name"}
	}
	name, bad, ok := percentDecode(rawName)
	if !ok {
		return Property{}, &PropertyError{Offset: off + bad, Reason: "malformed percent escape in name"}
	}
	if !hasValue {
		return Property{Name: name, Null: true}, nil
	}
	value, bad, ok := percentDecode(rawValue)
	if !ok {
		return Property{}, &PropertyError{Name: name, Offset: off + len(rawName) + 1 + bad, Reason: "malformed percent escape in value"}
	}
	return Property{Name: name, Value: value}, nil
}

// Encode returns the encoded bag in the bag's order. Names and values are
// percent-encoded, keeping only the RFC 3986 unreserved set (a space becomes
// %20); a Null property is written as its bare name.
//
// It returns a *PropertyError for an empty name or a Null property with a
// value.
func (b PropertyBag) Encode() (string, error) {
	measure := bagWriter{}
	for _, p := range b {
		if p.Name == "" {
			return "", &PropertyError{Offset: -1, Reason: "empty name"}
		}
		if p.Null && p.Value != "" {
			return "", &PropertyError{Name: p.Name, Offset: -1, Reason: "null property with a value"}
		}
		measure.property(p.Name, p.Value, p.Null, false)
	}
	var sb strings.Builder
	sb.Grow(measure.n) // one allocation of the exact size
	w := bagWriter{sb: &sb}
	for _, p := range b {
		w.property(p.Name, p.Value, p.Null, false)
	}
	return sb.String(), nil
}

// Lookup returns the first property named name.
func (b PropertyBag) Lookup(name string) (Property, bool) {
	for _, p := range b {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// Size returns the total length in bytes of the decoded names and values,
// which is what IoT Hub counts towards a message's size.
func (b PropertyBag) Size() int {
	n := 0
	for _, p := range b {
		n += len(p.Name) + len(p.Value)
	}
	return n
}
