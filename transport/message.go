package transport

import "context"

// Message is a message in tether's canonical form. For Send and Handle the
// Topic is device-relative ("events", "request/sensor/list"); for the raw
// methods it is the cloud's own topic.
type Message struct {
	Topic      string
	Payload    []byte
	QoS        byte
	Properties Properties
	// Duplicate reports the MQTT DUP flag of an inbound message: the cloud
	// may have delivered it before.
	Duplicate bool
}

// Properties are a message's metadata. Azure IoT Hub carries them in the
// topic's property bag; MQTT 3.1.1 on AWS IoT Core and plain brokers has no
// place for them (see each adapter's documentation for what it does).
type Properties struct {
	MessageID       string
	CorrelationID   string
	UserID          string
	ContentType     string
	ContentEncoding string
	// Application holds the application (user) properties.
	Application map[string]string
	// System holds any other system property the cloud delivered, by its
	// wire name (for example "$.to" or "iothub-ack").
	System map[string]string
}

// IsZero reports whether p carries no property at all.
func (p Properties) IsZero() bool {
	return p.MessageID == "" && p.CorrelationID == "" && p.UserID == "" &&
		p.ContentType == "" && p.ContentEncoding == "" &&
		len(p.Application) == 0 && len(p.System) == 0
}

// Handler handles one inbound message. Handlers run on tether's own worker
// goroutines, never on the network goroutine, one subscription's messages
// in order. ctx is cancelled when the transport is closed.
type Handler func(ctx context.Context, msg Message)
