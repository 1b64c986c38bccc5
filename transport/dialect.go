package transport

// Dialect is an adapter's knowledge of its cloud: topic translation and
// limits, as pure functions with no I/O. Conn does the I/O around it.
type Dialect interface {
	// Info describes the identity the dialect was built for.
	Info() Info
	// PublishTopic returns the cloud topic that carries a canonical
	// device-to-cloud message (its Topic and Properties), or an error when
	// the cloud cannot carry it.
	PublishTopic(msg Message) (string, error)
	// SubscribeFilter returns the cloud filter that carries inbound
	// messages matching a canonical filter. Several canonical filters may
	// share one cloud filter.
	SubscribeFilter(canonicalFilter string) (string, error)
	// Incoming converts a message received on a cloud topic to canonical
	// form. ok is false when the topic is not one of the canonical
	// cloud-to-device topics.
	Incoming(msg Message) (canonical Message, ok bool)
	// CheckPublish checks a publish on a cloud topic against the cloud's
	// rules: allowed topics, topic length, payload size, QoS.
	CheckPublish(topic string, payload []byte, qos byte) error
	// CheckSubscribe checks a cloud filter against the cloud's rules.
	CheckSubscribe(filter string, qos byte) error
	// Limits returns the cloud's per-connection limits.
	Limits() Limits
}

// Limits are a cloud's per-connection limits that Conn enforces. Zero
// means unlimited.
type Limits struct {
	MaxSubscriptions int     // distinct filters subscribed at once
	PublishRate      float64 // publishes per second, client side
	ByteRate         int     // payload bytes per second, client side
	MaxPayload       int     // the largest payload the cloud accepts, for the byte limiter's burst
}
