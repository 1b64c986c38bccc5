package command

import (
	"context"
	"log/slog"
	"time"
)

// Defaults for a Server; a zero or negative option value means the default.
const (
	// DefaultMaxConcurrent is how many handlers may run at once. A command
	// beyond it is answered 503 at once, not queued: the application retries
	// with the same TID. A handler still running past its deadline keeps its
	// slot until it returns.
	DefaultMaxConcurrent = 8
	// DefaultTimeout bounds a command that carries no deadline (Azure's
	// default direct-method timeout).
	DefaultTimeout = 30 * time.Second
	// DefaultDedupSize is how many completed transactions the deduplication
	// cache remembers.
	DefaultDedupSize = 1024
	// DefaultDedupTTL is how long a completed transaction is remembered: AWS
	// IoT Core keeps a persistent session, and redelivers its QoS 1 messages,
	// for an hour.
	DefaultDedupTTL = time.Hour
	// DefaultMaxSenders is how many senders' sequence numbers ordering
	// remembers; beyond it the least recently seen sender is forgotten.
	DefaultMaxSenders = 1024
)

// StateFunc returns the device's current state for a stale command, as the
// JSON payload of its 409 response. It runs on the Serve caller's goroutine
// and should be quick.
type StateFunc func(ctx context.Context, req *Request) []byte

// Option configures a [Server].
type Option func(*config)

type config struct {
	maxConcurrent int
	timeout       time.Duration
	dedupSize     int
	dedupTTL      time.Duration
	store         DedupStore
	ordering      bool
	state         StateFunc
	maxSenders    int
	log           *slog.Logger
	now           func() time.Time

	// Device only (see device_options.go).
	scheme       Scheme
	groups       []string
	replyTimeout time.Duration
}

// WithMaxConcurrent sets how many handlers may run at once
// (default [DefaultMaxConcurrent]).
func WithMaxConcurrent(n int) Option { return func(c *config) { c.maxConcurrent = n } }

// WithTimeout sets the deadline of commands that carry none
// (default [DefaultTimeout]).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithDedupSize sets how many completed transactions are remembered
// (default [DefaultDedupSize]).
func WithDedupSize(n int) Option { return func(c *config) { c.dedupSize = n } }

// WithDedupTTL sets how long a completed transaction is remembered
// (default [DefaultDedupTTL]).
func WithDedupTTL(d time.Duration) Option { return func(c *config) { c.dedupTTL = d } }

// WithDedupStore persists completed transactions in st, so that a restarted
// device still answers duplicates from before the restart without running
// their handlers again. NewServer loads st; the caller keeps ownership of st
// and closes it after [Server.Shutdown].
func WithDedupStore(st DedupStore) Option { return func(c *config) { c.store = st } }

// WithOrdering enables per-sender sequence numbers: a command whose Seq is
// not greater than the last admitted from its Sender is answered 409 with
// state's payload (nil state: an error payload). Commands with Seq 0 are not
// ordered.
func WithOrdering(state StateFunc) Option {
	return func(c *config) { c.ordering, c.state = true, state }
}

// WithMaxSenders bounds the senders ordering remembers
// (default [DefaultMaxSenders]).
func WithMaxSenders(n int) Option { return func(c *config) { c.maxSenders = n } }

// WithLogger sets where panics and store failures are logged
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock used for deadlines and cache ages (default
// time.Now); tests inject one.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.maxConcurrent <= 0 {
		c.maxConcurrent = DefaultMaxConcurrent
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.dedupSize <= 0 {
		c.dedupSize = DefaultDedupSize
	}
	if c.dedupTTL <= 0 {
		c.dedupTTL = DefaultDedupTTL
	}
	if c.maxSenders <= 0 {
		c.maxSenders = DefaultMaxSenders
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.replyTimeout <= 0 {
		c.replyTimeout = DefaultReplyTimeout
	}
	return c
}
