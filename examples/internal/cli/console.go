package cli

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// Console prints the lines of several goroutines (the device, the
// emulated cloud) without interleaving them. It is safe for concurrent use.
type Console struct {
	mu  sync.Mutex
	out io.Writer
}

// NewConsole returns a Console writing to out.
func NewConsole(out io.Writer) *Console { return &Console{out: out} }

// Printf prints one line, prefixed with who speaks ("device", "cloud").
func (c *Console) Printf(who, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "%-9s %s\n", who+":", fmt.Sprintf(format, args...))
}

// Logf returns a function printing as who, for code that takes a logger.
func (c *Console) Logf(who string) func(format string, args ...any) {
	return func(format string, args ...any) { c.Printf(who, format, args...) }
}

// WarnLogger returns the logger the examples give the adapters: their
// warnings (a connection knocked off again and again, messages dropped
// from the outbox) as text lines on w. Secrets are never logged.
func WarnLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
