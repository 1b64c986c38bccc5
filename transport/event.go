package transport

import "github.com/tether-iot/tether/mqttx"

// Event is a connection state change, as reported by the MQTT layer.
type Event = mqttx.Event

// EventKind classifies an Event.
type EventKind = mqttx.EventKind

// The connection events a Watch function sees.
const (
	EventConnecting      = mqttx.EventConnecting
	EventConnected       = mqttx.EventConnected
	EventConnectFailed   = mqttx.EventConnectFailed
	EventConnectionLost  = mqttx.EventConnectionLost
	EventSubscribeFailed = mqttx.EventSubscribeFailed
	EventSlowConsumer    = mqttx.EventSlowConsumer
	EventDisconnected    = mqttx.EventDisconnected
)
