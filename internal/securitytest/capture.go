package securitytest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Recorder is a log/slog handler that keeps every record, at every level,
// rendered three ways: by slog's text handler, by its JSON handler, and
// with the Go syntax (%#v) of every attribute value, so that a secret
// reaching a log record is found however a user's handler would print it.
// It is safe for concurrent use.
type Recorder struct {
	st    *recorderState
	text  slog.Handler
	json  slog.Handler
	attrs []slog.Attr // WithAttrs, for the Go syntax rendering
	group string      // WithGroup prefix
}

type recorderState struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	records int
}

// lockedWriter serializes the handlers' writes into the shared buffer.
type lockedWriter struct{ st *recorderState }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	return w.st.buf.Write(p)
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	st := &recorderState{}
	opts := &slog.HandlerOptions{Level: slog.Level(-100)} // everything, below Debug too
	return &Recorder{
		st:   st,
		text: slog.NewTextHandler(lockedWriter{st}, opts),
		json: slog.NewJSONHandler(lockedWriter{st}, opts),
	}
}

// Logger returns a logger writing to r.
func (r *Recorder) Logger() *slog.Logger { return slog.New(r) }

// Enabled reports true at every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle records rec.
func (r *Recorder) Handle(ctx context.Context, rec slog.Record) error {
	if err := r.text.Handle(ctx, rec.Clone()); err != nil {
		return err
	}
	if err := r.json.Handle(ctx, rec.Clone()); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("gosyntax msg=")
	b.WriteString(fmt.Sprintf("%#v", rec.Message))
	for _, a := range r.attrs {
		writeGoSyntax(&b, "", a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		writeGoSyntax(&b, r.group, a)
		return true
	})
	b.WriteByte('\n')
	r.st.mu.Lock()
	r.st.buf.WriteString(b.String())
	r.st.records++
	r.st.mu.Unlock()
	return nil
}

// writeGoSyntax appends a's key and the %#v (and %+v) of its resolved value,
// descending into groups.
func writeGoSyntax(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if v.Kind() == slog.KindGroup {
		for _, ga := range v.Group() {
			writeGoSyntax(b, key, ga)
		}
		return
	}
	fmt.Fprintf(b, " %s=%#v (%+v)", key, v.Any(), v.Any())
}

// WithAttrs returns a Recorder adding attrs to every record.
func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *r
	c.text = r.text.WithAttrs(attrs)
	c.json = r.json.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr(nil), r.attrs...), attrs...)
	return &c
}

// WithGroup returns a Recorder qualifying later attributes with name.
func (r *Recorder) WithGroup(name string) slog.Handler {
	c := *r
	c.text = r.text.WithGroup(name)
	c.json = r.json.WithGroup(name)
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

// Text returns everything recorded so far.
func (r *Recorder) Text() string {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.buf.String()
}

// Records returns the number of records handled.
func (r *Recorder) Records() int {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.records
}
