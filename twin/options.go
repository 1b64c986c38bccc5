package twin

import (
	"context"
	"log/slog"
	"time"

	"github.com/tether-iot/tether/internal/twindoc"
)

// Defaults; a zero or negative option value means the default.
const (
	// DefaultRequestTimeout bounds one attempt of a request: an attempt
	// unanswered this long is retried (within the caller's ctx).
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMinRetryBackoff is the ceiling of the first retry's random
	// delay (azure-sdk-for-c's minimum).
	DefaultMinRetryBackoff = time.Second
	// DefaultMaxRetryBackoff is the largest ceiling of a retry's random
	// delay (azure-sdk-for-c's maximum).
	DefaultMaxRetryBackoff = 100 * time.Second
	// DefaultMaxPendingPatches is how many out-of-order desired patches
	// (above the next version) are kept while a GET fills the gap.
	DefaultMaxPendingPatches = 64
)

// Option configures a Client.
type Option func(*config)

type config struct {
	requestTimeout time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	maxPending     int
	mapKey         func(string) string // nil: no mapping
	handler        func(context.Context, DesiredPatch)
	log            *slog.Logger
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.requestTimeout <= 0 {
		c.requestTimeout = DefaultRequestTimeout
	}
	if c.minBackoff <= 0 {
		c.minBackoff = DefaultMinRetryBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxRetryBackoff
	}
	if c.maxPending <= 0 {
		c.maxPending = DefaultMaxPendingPatches
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// WithRequestTimeout sets how long one attempt of a request waits for its
// response before it is sent again (default DefaultRequestTimeout). The
// caller's ctx bounds the whole request.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) { c.requestTimeout = d }
}

// WithRetryBackoff sets the full-jitter exponential backoff between
// attempts of a request answered 429 or 5xx (defaults
// DefaultMinRetryBackoff and DefaultMaxRetryBackoff).
func WithRetryBackoff(min, max time.Duration) Option {
	return func(c *config) { c.minBackoff, c.maxBackoff = min, max }
}

// WithKeyMapping makes UpdateReported (and Report) rename every key of a
// reported patch with mapKey before checking and sending it, for firmware
// written for AWS-style names that IoT Hub forbids ("fan speed"). A nil
// mapKey means RemoveSpaces. Two keys of one object that map to the same
// key make the patch fail with ErrKeyCollision.
//
// The mapping applies to reported patches only. Desired properties are
// handed to the application as the hub holds them: a name written by the
// service is already valid, and a mapping such as RemoveSpaces cannot be
// inverted ("fanspeed" could have been "fan speed" or "fanspeed").
func WithKeyMapping(mapKey func(key string) string) Option {
	return func(c *config) {
		if mapKey == nil {
			mapKey = RemoveSpaces
		}
		c.mapKey = mapKey
	}
}

// RemoveSpaces deletes every space of key: the default WithKeyMapping.
func RemoveSpaces(key string) string { return twindoc.RemoveSpaces(key) }

// WithDesiredHandler sets the desired-patch handler from the start, so it
// sees the initial desired properties too (see Client.OnDesiredPatch).
func WithDesiredHandler(fn func(ctx context.Context, p DesiredPatch)) Option {
	return func(c *config) { c.handler = fn }
}

// WithMaxPendingPatches sets how many desired patches that arrive ahead of
// the next version are kept until the gap is filled (default
// DefaultMaxPendingPatches). More are dropped: the GET a gap triggers
// brings their content anyway.
func WithMaxPendingPatches(n int) Option {
	return func(c *config) { c.maxPending = n }
}

// WithLogger sets the logger for diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}
