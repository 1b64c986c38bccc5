package outbox

import "time"

// Record is one queued message.
type Record struct {
	// Seq is assigned by Put: increasing in Put order, never reused by one
	// outbox or directory. Records are sent in Seq order.
	Seq uint64
	// Topic is the topic to publish to, as the transport understands it.
	Topic string
	// Payload is the message body.
	Payload []byte
	// QoS is 0 or 1.
	QoS byte
	// Retain is the MQTT retain flag.
	Retain bool
	// Meta is opaque to the outbox: the transport stores what it needs to
	// rebuild the message (e.g. encoded properties).
	Meta []byte
	// Enqueued is when the record was put; Put sets it from Options.Now
	// unless the caller set it (e.g. to the time the data was produced).
	// MaxAge is measured from it.
	Enqueued time.Time
	// Attempts counts consecutive connection drops while the record was in
	// flight (see Outbox.ConnectionLost).
	Attempts int
}

// Size is the record's weight against Options.MaxBytes: the lengths of
// Topic, Payload and Meta.
func (r Record) Size() int64 {
	return int64(len(r.Topic)) + int64(len(r.Payload)) + int64(len(r.Meta))
}
