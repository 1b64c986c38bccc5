package outbox

import (
	"errors"
	"fmt"
)

var (
	// ErrFull: the outbox is at one of its bounds. Put returns it under
	// RejectNew; under DropOldest it is the reason given to OnDrop for each
	// record dropped to make room (and Put returns it only when no record
	// can be dropped, because the one in flight alone fills the outbox).
	ErrFull = errors.New("outbox: full")
	// ErrTooLarge: the record alone exceeds MaxBytes, so it can never fit.
	ErrTooLarge = errors.New("outbox: record larger than the outbox")
	// ErrExpired: the record was older than MaxAge before it could be sent.
	ErrExpired = errors.New("outbox: record expired")
	// ErrOffline: a QoS 0 record was put while no Run was active and the
	// policy is QoS0Drop.
	ErrOffline = errors.New("outbox: QoS 0 message dropped while offline")
	// ErrQuarantined: the connection dropped QuarantineAfter times in a row
	// while the record was in flight. It is found inside a *DeadLetterError.
	ErrQuarantined = errors.New("outbox: record quarantined after repeated connection drops")
	// ErrPermanent marks a send error as permanent (see Permanent).
	ErrPermanent = errors.New("outbox: permanent send error")
	// ErrCorrupt: bytes of the durable directory could not be read back. It
	// is found inside a *CorruptError.
	ErrCorrupt = errors.New("outbox: corrupt data")
	// ErrUnsupportedFormat: a segment file was written by an incompatible
	// version of this package. Open refuses to touch it.
	ErrUnsupportedFormat = errors.New("outbox: unsupported segment format")
	// ErrClosed: the outbox has been closed.
	ErrClosed = errors.New("outbox: closed")
	// ErrRunning: Run was called while another Run is active.
	ErrRunning = errors.New("outbox: Run already active")
	// ErrInvalidRecord: the record cannot be queued (empty topic, QoS > 1).
	ErrInvalidRecord = errors.New("outbox: invalid record")
)

// DeadLetterError is the reason given to OnDeadLetter and OnDrop for a
// record that will never be delivered: quarantined after repeated
// connection drops (errors.Is(err, ErrQuarantined)), or refused by a
// permanent send error (errors.Is(err, ErrPermanent) or the error's own
// sentinel, e.g. transport.ErrPayloadTooLarge).
type DeadLetterError struct {
	Attempts int   // consecutive connection drops while the record was in flight
	Err      error // ErrQuarantined, or the permanent send error
}

// Error says why the record was dead-lettered: quarantined after
// Attempts connection drops, or the permanent send error.
func (e *DeadLetterError) Error() string {
	if errors.Is(e.Err, ErrQuarantined) {
		return fmt.Sprintf("outbox: dead letter: quarantined after %d connection drops", e.Attempts)
	}
	return "outbox: dead letter: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DeadLetterError) Unwrap() error { return e.Err }

// CorruptError reports bytes of a segment file that Open could not read
// back: a torn tail left by a crash, or damaged storage. The records they
// held are lost; OnDrop receives the error with a zero Record.
type CorruptError struct {
	Path   string // segment file
	Offset int64  // first unreadable byte
	Size   int64  // number of bytes skipped
	Reason string // what was wrong, e.g. "checksum mismatch"
}

// Error names the file, the unreadable range and what was wrong.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("outbox: corrupt data in %s: %d bytes at offset %d skipped: %s", e.Path, e.Size, e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// Permanent wraps err so that IsPermanent reports true: a send function
// returns it for a failure that retrying cannot fix (a local validation
// error, a cloud limit), so the record is dead-lettered at once instead of
// being replayed. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// Is makes errors.Is(Permanent(err), ErrPermanent) true.
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// IsPermanent reports whether err is a permanent send error: it matches
// ErrPermanent, or an error in its chain has a method Permanent() bool that
// returns true. Errors of other packages opt in through that method.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrPermanent) {
		return true
	}
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
