package transport

import "context"

// Transport is a device's connection to one cloud. Implementations are safe
// for concurrent use.
type Transport interface {
	// Connect connects and keeps the connection up, reconnecting with
	// backoff, until Close. It returns once the first connection is up, or
	// with an error when ctx ends first or the cloud refuses the
	// credentials.
	Connect(ctx context.Context) error
	// Close disconnects and releases every goroutine the transport started.
	Close(ctx context.Context) error

	// Send publishes a device-to-cloud message on a canonical topic.
	Send(ctx context.Context, msg Message) error
	// Handle routes cloud-to-device messages whose canonical topic matches
	// filter (for example "request/#") to h. The subscription is restored
	// on every reconnect.
	Handle(ctx context.Context, filter string, h Handler) error

	// PublishRaw publishes on one of the cloud's reserved topics (shadow,
	// twin, direct methods); the adapter still checks the cloud's rules.
	PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error
	// SubscribeRaw subscribes to one of the cloud's reserved topic filters.
	SubscribeRaw(ctx context.Context, filter string, qos byte, h Handler) error
	// UnsubscribeRaw removes a subscription made with SubscribeRaw.
	UnsubscribeRaw(ctx context.Context, filter string) error

	// Watch calls fn for every connection event, in order, on a goroutine
	// of the transport's; stop removes fn.
	Watch(fn func(Event)) (stop func())
	// Info describes the connection: cloud, device identity.
	Info() Info
}

// Cloud names the kind of service a transport connects to.
type Cloud string

// The clouds tether speaks to.
const (
	CloudAWS   Cloud = "aws"
	CloudAzure Cloud = "azure"
	CloudMQTT  Cloud = "mqtt"
)

// Info describes a transport's connection.
type Info struct {
	Cloud    Cloud
	DeviceID string // AWS thing name, Azure device id, or the plain broker's device id
	ModuleID string // Azure module id, when the identity is a module
	ClientID string // the MQTT client id
}
