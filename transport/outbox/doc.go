// Package outbox holds QoS 1 messages until the cloud acknowledges them.
//
// Every QoS 1 send of a tether transport goes through an Outbox. The outbox
// keeps records in memory by default, or durably in a directory
// (Options.Dir) so that they survive a crash or a power cut. It is bounded
// by message count, bytes and age; when full it either drops the oldest
// record or rejects the new one (Options.Full). Nothing is dropped
// silently: every record that leaves the outbox without being acknowledged
// is reported to Options.OnDrop with the reason (ErrFull, ErrExpired,
// ErrOffline, a *DeadLetterError, a *CorruptError).
//
// The transport calls Run once per connection, or Drain whenever it has
// put records while connected (so that an idle connection holds no
// goroutine for its outbox; SetOnline then tells the outbox it is
// connected). Both send the records one at a time, oldest first, paced by
// the caller's rate limiters (Pace), and remove each record once send
// reports the broker's acknowledgement. They stop at the first failed send
// and leave that record and the rest for the next connection, so records
// are replayed in order after a reconnect.
//
// A record that the cloud answers by closing the connection (too large,
// forbidden topic) would otherwise be replayed forever. The transport
// reports every connection drop with ConnectionLost; a record that was in
// flight during Options.QuarantineAfter consecutive drops is quarantined:
// removed and handed to Options.OnDeadLetter (and OnDrop). A send error that
// is permanent (see IsPermanent) dead-letters the record at once.
//
// # Durable format
//
// The directory holds segment files named by a 16-digit hexadecimal
// segment number with the extension ".seg". Each starts with an 8-byte magic and version,
// followed by frames: a little-endian uint32 body length, a CRC-32C
// (Castagnoli) of the length and body, and the body. Frames add records,
// remove records (acknowledged or dropped), or record delivery attempts.
// Frames are only appended, each batch with a single write, so a crash at
// any byte leaves a valid prefix. Open reports every unreadable range as a
// *CorruptError and repairs it so that it is reported once: a torn or
// corrupt tail is truncated; a damaged frame in the middle whose length is
// intact (a valid frame follows it) is overwritten with padding, so the
// records after it survive; a file without a valid header is renamed with a
// ".corrupt" suffix and left alone. A segment whose records have all
// been removed is deleted; the few live records of a mostly dead segment
// are copied forward so that one stuck record cannot pin the disk.
//
// One Outbox owns its directory: opening the same directory twice, in one
// process or in two, corrupts it.
package outbox
