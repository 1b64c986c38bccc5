package outbox

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults used for zero-valued Options fields.
const (
	// DefaultMaxMessages bounds the number of records held.
	DefaultMaxMessages = 10000
	// DefaultMaxBytes bounds the sum of Record.Size over the records held.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxAge bounds how long a record waits for delivery.
	DefaultMaxAge = 24 * time.Hour
	// DefaultQuarantineAfter is how many consecutive connection drops with
	// the same record in flight quarantine it.
	DefaultQuarantineAfter = 3
	// DefaultSyncInterval is the fsync period of SyncInterval.
	DefaultSyncInterval = time.Second
	// DefaultSegmentSize is the size at which a new segment file is started.
	DefaultSegmentSize = 4 << 20
)

// FullPolicy says what Put does when the outbox is at a bound.
type FullPolicy int

const (
	// DropOldest (the default) drops the oldest records, except the one in
	// flight, until the new record fits, reporting each to OnDrop with
	// ErrFull. Fresh telemetry is usually worth more than stale.
	DropOldest FullPolicy = iota
	// RejectNew keeps the queued records and fails Put with ErrFull (also
	// reported to OnDrop), so the application can apply back-pressure.
	RejectNew
)

// SyncPolicy says when a durable outbox calls fsync. It only matters for a
// power cut or a kernel crash: after a process crash (kill -9) every write
// that returned is in the operating system's cache and is read back.
type SyncPolicy int

const (
	// SyncAlways (the default) fsyncs every write before it returns: a
	// record whose Put returned survives a power cut. Costs one fsync per
	// Put and per acknowledgement (milliseconds on SD cards and eMMC, and
	// flash wear at high message rates).
	SyncAlways SyncPolicy = iota
	// SyncInterval fsyncs at most every Options.SyncInterval, when
	// something was written: a power cut loses at most that much of the
	// latest records (and may replay a few acknowledged ones). Far fewer
	// fsyncs under load.
	SyncInterval
	// SyncNever leaves flushing to the operating system (and Close): the
	// cheapest, survives process crashes, but a power cut may lose any
	// amount of recent writes.
	SyncNever
)

// QoS0Policy says what Put does with a QoS 0 record while no Run is
// active (the transport is offline).
type QoS0Policy int

const (
	// QoS0Drop (the default) drops it, reporting it to OnDrop and returning
	// ErrOffline: QoS 0 promises no delivery, and stale QoS 0 telemetry
	// sent after an outage is rarely wanted.
	QoS0Drop QoS0Policy = iota
	// QoS0Queue queues it like a QoS 1 record, under the same bounds; it is
	// sent in order when a Run starts.
	QoS0Queue
)

// Options configure an Outbox. The zero value is a usable in-memory outbox
// with the default bounds.
type Options struct {
	// Dir, if set, makes the outbox durable in this directory (created if
	// missing). Empty means in memory only.
	Dir string

	// MaxMessages bounds the number of records; 0 means
	// DefaultMaxMessages, negative means no bound.
	MaxMessages int
	// MaxBytes bounds the sum of Record.Size; 0 means DefaultMaxBytes,
	// negative means no bound.
	MaxBytes int64
	// MaxAge bounds the time from Record.Enqueued to the send; older
	// records are dropped with ErrExpired. 0 means DefaultMaxAge, negative
	// means no bound. In-process ages use the monotonic clock (a clock set
	// by NTP after boot does not expire anything); across restarts the
	// stored wall-clock time is used, so on a device without a real-time
	// clock a record put before the clock was set, and read back after a
	// restart, looks decades old and expires: set Enqueued yourself, or
	// MaxAge negative, if that matters.
	MaxAge time.Duration
	// Full is the policy when a bound is reached.
	Full FullPolicy
	// QoS0 is the policy for QoS 0 records put while offline.
	QoS0 QoS0Policy

	// QuarantineAfter is the number of consecutive connection drops with
	// a record in flight after which it is dead-lettered; 0 means
	// DefaultQuarantineAfter, negative disables quarantine. On a very
	// flaky link, innocent large records can be dropped mid-send this
	// often: raise it there.
	QuarantineAfter int

	// Sync is the fsync policy of a durable outbox.
	Sync SyncPolicy
	// SyncInterval is the period of SyncInterval; 0 means
	// DefaultSyncInterval.
	SyncInterval time.Duration
	// SegmentSize is the size at which a new segment file is started; 0
	// means DefaultSegmentSize.
	SegmentSize int64

	// OnDrop is called for every record that leaves the outbox without
	// being acknowledged, with the reason: ErrFull, ErrTooLarge,
	// ErrExpired, ErrOffline, a *DeadLetterError, ErrClosed (records of an
	// in-memory outbox at Close), a storage error (Put could not write
	// it), or a *CorruptError (with a zero Record: bytes lost in the
	// directory). Records that Put refuses are reported with Seq 0.
	// It runs on the goroutine that caused the drop (Put, Run,
	// ConnectionLost, Open), never with the outbox's lock held, so it may
	// call the outbox; it must not modify or retain the record's slices.
	// If nil, drops are logged at Warn level to Logger.
	OnDrop func(rec Record, reason error)
	// OnDeadLetter, if set, is also called, before OnDrop, for each record
	// that is dead-lettered (reason is a *DeadLetterError), e.g. to store
	// it for inspection.
	OnDeadLetter func(rec Record, reason error)

	// Logger receives drops when OnDrop is nil and errors that have no
	// caller to return to (a failed background fsync). nil means
	// slog.Default(). Payloads are never logged.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Validate returns the error Open returns for invalid policies, without
// opening anything (a transport that opens its in-memory outbox lazily
// reports a misconfiguration at once).
func (o Options) Validate() error {
	if o.Full != DropOldest && o.Full != RejectNew {
		return fmt.Errorf("outbox: invalid FullPolicy %d", o.Full)
	}
	if o.Sync != SyncAlways && o.Sync != SyncInterval && o.Sync != SyncNever {
		return fmt.Errorf("outbox: invalid SyncPolicy %d", o.Sync)
	}
	if o.QoS0 != QoS0Drop && o.QoS0 != QoS0Queue {
		return fmt.Errorf("outbox: invalid QoS0Policy %d", o.QoS0)
	}
	return nil
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.MaxMessages == 0 {
		o.MaxMessages = DefaultMaxMessages
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.QuarantineAfter == 0 {
		o.QuarantineAfter = DefaultQuarantineAfter
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
