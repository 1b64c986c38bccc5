package transport

import (
	"context"

	"github.com/tether-iot/tether/mqttx"
)

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
// in order (until a handler calls [Detach]). ctx is cancelled when the
// transport is closed.
type Handler func(ctx context.Context, msg Message)

// Detach, called by a Handler with the ctx it was given, ends the ordering
// of its cloud subscription at the message being handled: the next
// messages go to their handlers on another goroutine while this handler
// goes on. Call it before long work whose order no longer matters, instead
// of starting a goroutine: the handler keeps its own, and a new one starts
// only when another message arrives in the meantime. Handlers that follow
// a detached one for the same message (several canonical filters matching
// it) run after it returns.
//
// Detach reports whether it detached: false when ctx is not the ctx of a
// running Handler of a transport built on mqttx, or when the handler
// detached before. Call it only on the handler's own goroutine; see
// [mqttx.Detach].
func Detach(ctx context.Context) bool { return mqttx.Detach(ctx) }
