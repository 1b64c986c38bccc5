package shadow

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// Defaults of a Client; a zero or negative option value means the default.
const (
	// DefaultMaxInFlight is how many requests a Client has in flight at
	// once: AWS rejects a thing's 11th with 429. Further requests wait for
	// a slot, bounded by their ctx.
	DefaultMaxInFlight = 10
	// DefaultMaxDepth is the nesting limit checked under desired and
	// reported before sending (shadowdoc.DefaultMaxDepth: AWS's sources
	// disagree between 5, 6 and 8 levels; 5 is safe everywhere).
	DefaultMaxDepth = shadowdoc.DefaultMaxDepth
	// DefaultMaxConflictRetries is how many times Modify retries after a
	// version conflict before it returns the conflict.
	DefaultMaxConflictRetries = 5
	// DefaultResyncTimeout bounds each GET the client makes by itself
	// (after a connect, a version gap, a new handler).
	DefaultResyncTimeout = 30 * time.Second
	// DefaultResyncMaxBackoff is the longest pause between failed resync
	// GETs (full-jitter exponential backoff from one second).
	DefaultResyncMaxBackoff = time.Minute
	// DefaultHandlerQueue is how many delta and documents calls may wait
	// for a slow handler. Beyond it they are dropped and, once the handler
	// catches up, replaced by one delta from a fresh GET.
	DefaultHandlerQueue = 64
)

// Option configures a Client.
type Option func(*config)

type config struct {
	name               string
	maxInFlight        int
	maxDepth           int
	maxConflictRetries int
	resyncTimeout      time.Duration
	resyncMaxBackoff   time.Duration
	handlerQueue       int
	onDelta            func(context.Context, Delta)
	onDocuments        func(context.Context, Documents)
	token              func() string
	log                *slog.Logger
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.maxInFlight <= 0 {
		c.maxInFlight = DefaultMaxInFlight
	}
	if c.maxDepth <= 0 {
		c.maxDepth = DefaultMaxDepth
	}
	if c.maxConflictRetries <= 0 {
		c.maxConflictRetries = DefaultMaxConflictRetries
	}
	if c.resyncTimeout <= 0 {
		c.resyncTimeout = DefaultResyncTimeout
	}
	if c.resyncMaxBackoff <= 0 {
		c.resyncMaxBackoff = DefaultResyncMaxBackoff
	}
	if c.handlerQueue <= 0 {
		c.handlerQueue = DefaultHandlerQueue
	}
	if c.token == nil {
		c.token = uuid.NewString
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// WithName selects a named shadow (at most 64 bytes of a-z A-Z 0-9 : _ -)
// instead of the thing's classic shadow.
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithMaxInFlight sets how many requests may be in flight at once
// (default DefaultMaxInFlight). Several clients of one thing share AWS's
// limit of 10: give them smaller shares.
func WithMaxInFlight(n int) Option { return func(c *config) { c.maxInFlight = n } }

// WithMaxDepth sets the nesting limit checked before sending
// (default DefaultMaxDepth).
func WithMaxDepth(n int) Option { return func(c *config) { c.maxDepth = n } }

// WithMaxConflictRetries sets how many times Modify retries after a
// version conflict (default DefaultMaxConflictRetries).
func WithMaxConflictRetries(n int) Option { return func(c *config) { c.maxConflictRetries = n } }

// WithResyncTimeout bounds each GET the client makes by itself
// (default DefaultResyncTimeout).
func WithResyncTimeout(d time.Duration) Option { return func(c *config) { c.resyncTimeout = d } }

// WithResyncMaxBackoff sets the longest pause between failed resync GETs
// (default DefaultResyncMaxBackoff).
func WithResyncMaxBackoff(d time.Duration) Option {
	return func(c *config) { c.resyncMaxBackoff = d }
}

// WithHandlerQueue sets how many handler calls may wait for a slow handler
// (default DefaultHandlerQueue).
func WithHandlerQueue(n int) Option { return func(c *config) { c.handlerQueue = n } }

// WithDeltaHandler sets the delta handler from the start, so that it also
// receives the delta of the first GET; see Client.OnDelta.
func WithDeltaHandler(fn func(ctx context.Context, d Delta)) Option {
	return func(c *config) { c.onDelta = fn }
}

// WithDocumentsHandler subscribes to update/documents and calls fn with
// every newer full document pair the service publishes after an update, on
// the handler goroutine (see Client.OnDelta). Without it the client does
// not subscribe to update/documents, which carries two full documents per
// update.
func WithDocumentsHandler(fn func(ctx context.Context, d Documents)) Option {
	return func(c *config) { c.onDocuments = fn }
}

// WithClientToken sets the generator of request clientTokens (default: a
// random UUID). Tokens must be unique among the requests in flight and at
// most 64 bytes; a request whose token is not is refused before sending.
func WithClientToken(fn func() string) Option { return func(c *config) { c.token = fn } }

// WithLogger sets the logger of diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }
