package azureiot

import "strings"

// bagWriter writes an encoded property bag, or, with a nil sb, only counts
// its bytes. Encoders run it twice, measuring first, so that the result is
// built in one allocation of the exact size: topics are built on every
// publish.
type bagWriter struct {
	sb      *strings.Builder // nil: measure only
	n       int              // bytes written or measured
	entries int              // properties written so far, for the '&'
}

// raw writes s as it is.
func (w *bagWriter) raw(s string) {
	w.n += len(s)
	if w.sb != nil {
		w.sb.WriteString(s)
	}
}

// encoded writes s percent-encoded as percentEncode does; with slashAsDot,
// '/' is written as '.' (a canonical topic as a subtopic value).
func (w *bagWriter) encoded(s string, slashAsDot bool) {
	if w.sb == nil {
		for i := 0; i < len(s); i++ {
			if c := s[i]; isUnreserved(c) || slashAsDot && c == '/' {
				w.n++
			} else {
				w.n += 3
			}
		}
		return
	}
	const hex = "0123456789ABCDEF"
	start := w.sb.Len()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
			w.sb.WriteByte(c)
		case slashAsDot && c == '/':
			w.sb.WriteByte('.')
		default:
			w.sb.WriteByte('%')
			w.sb.WriteByte(hex[c>>4])
			w.sb.WriteByte(hex[c&0xF])
		}
	}
	w.n += w.sb.Len() - start
}

// property writes name=value (a bare name when null), '&'-separated from
// the previous one.
func (w *bagWriter) property(name, value string, null, slashAsDot bool) {
	if w.entries > 0 {
		w.raw("&")
	}
	w.entries++
	w.encoded(name, false)
	if !null {
		w.raw("=")
		w.encoded(value, slashAsDot)
	}
}

// topic writes the prefix parts, then the subtopic property (unless
// subtopic is empty; its '/' become '.'), then p's properties in Bag's
// order, the maps' keys sorted as given.
func (w *bagWriter) topic(prefix []string, subtopic string, p *Properties, systemKeys, applicationKeys []string) {
	for _, s := range prefix {
		w.raw(s)
	}
	if subtopic != "" {
		w.property(SubtopicProperty, subtopic, false, true)
	}
	for i, name := range systemNames {
		if v := *p.field(i); v != "" {
			w.property(name, v, false, false)
		}
	}
	for _, name := range systemKeys {
		w.property(name, p.System[name], false, false)
	}
	for _, name := range applicationKeys {
		w.property(name, p.Application[name], false, false)
	}
}

// encodeTopic returns what bagWriter.topic writes, after checking p as
// Properties.Bag does. It allocates the result only, plus the sorted keys
// of p's maps when they are not empty.
func encodeTopic(prefix []string, subtopic string, p *Properties) (string, error) {
	var systemKeys, applicationKeys []string
	if p.count() > 0 {
		if err := p.check(); err != nil {
			return "", err
		}
		systemKeys, applicationKeys = sortedKeys(p.System), sortedKeys(p.Application)
	}
	measure := bagWriter{}
	measure.topic(prefix, subtopic, p, systemKeys, applicationKeys)
	var sb strings.Builder
	sb.Grow(measure.n)
	w := bagWriter{sb: &sb}
	w.topic(prefix, subtopic, p, systemKeys, applicationKeys)
	return sb.String(), nil
}

// bagSize returns what PropertyBag.Size returns for the bag encodeTopic
// writes after the prefix, without building it. p must have been checked.
func bagSize(subtopic string, p *Properties) int {
	n := 0
	if subtopic != "" {
		n += len(SubtopicProperty) + len(subtopic) // '/' → '.' keeps the length
	}
	for i, name := range systemNames {
		if v := *p.field(i); v != "" {
			n += len(name) + len(v)
		}
	}
	for k, v := range p.System {
		n += len(k) + len(v)
	}
	for k, v := range p.Application {
		n += len(k) + len(v)
	}
	return n
}
