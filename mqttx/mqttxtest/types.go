package mqttxtest

import (
	"crypto/x509"
	"fmt"
	"net"
)

// QoS2Policy is how the broker treats QoS 2.
type QoS2Policy int

const (
	// QoS2Allow implements QoS 2 like a plain MQTT 3.1.1 broker: inbound PUBREC/PUBREL/PUBCOMP with
	// duplicate suppression, outbound QoS 2 delivery, subscriptions granted QoS 2.
	QoS2Allow QoS2Policy = iota
	// QoS2Downgrade completes the inbound QoS 2 handshake but routes the message at QoS 1, and grants
	// QoS 2 subscriptions QoS 1.
	QoS2Downgrade
	// QoS2Disconnect closes the connection on a QoS 2 PUBLISH or a QoS 2 will and grants QoS 2
	// subscriptions QoS 1, as AWS IoT Core and Azure IoT Hub do.
	QoS2Disconnect
)

// String returns the policy's name.
func (p QoS2Policy) String() string {
	switch p {
	case QoS2Allow:
		return "QoS2Allow"
	case QoS2Downgrade:
		return "QoS2Downgrade"
	case QoS2Disconnect:
		return "QoS2Disconnect"
	}
	return fmt.Sprintf("QoS2Policy(%d)", int(p))
}

// ConnectInfo describes a CONNECT for the authenticator.
type ConnectInfo struct {
	ClientID         string // as sent (empty when the client asked the broker to assign one)
	Username         string
	Password         []byte
	HasPassword      bool
	CleanSession     bool
	KeepAlive        uint16 // seconds
	PeerCertificates []*x509.Certificate
	ProtocolLevel    byte // 4 for MQTT 3.1.1, 3 for MQTT 3.1
	RemoteAddr       net.Addr
}

// Action is a client's PUBLISH or one filter of its SUBSCRIBE, for the authorizer.
type Action struct {
	ClientID  string
	Subscribe bool   // false: a PUBLISH
	Topic     string // the topic name, or the filter for a subscription
	QoS       byte   // the PUBLISH QoS, or the requested subscription QoS
	Payload   []byte // PUBLISH only
	Retain    bool   // PUBLISH only
}

// Decision is the authorizer's answer.
type Decision int

const (
	// Allow lets the action proceed.
	Allow Decision = iota
	// Refuse answers a subscription with SUBACK code 0x80 and silently drops a PUBLISH (still
	// acknowledged, as mosquitto does for an ACL denial).
	Refuse
	// Disconnect closes the client's connection without a reply (its will is published).
	Disconnect
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Refuse:
		return "Refuse"
	case Disconnect:
		return "Disconnect"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Message is an MQTT application message.
type Message struct {
	Topic     string
	Payload   []byte
	QoS       byte
	Retain    bool
	Duplicate bool // DUP flag as received (inspection only)
}

// Stats counts what the broker has done since it started, across restarts.
type Stats struct {
	Connects        int // CONNECTs accepted
	ConnectsRefused int // CONNECTs answered with a non-zero CONNACK code
	Disconnects     int // accepted connections that ended, for any reason
	Takeovers       int // connections closed because another connected with the same client id
	PacketsIn       int // control packets read
	PacketsOut      int // control packets written
	MessagesIn      int // PUBLISH packets read
	MessagesOut     int // PUBLISH packets written
	Dropped         int // QoS 1/2 messages dropped because a session queue was full
	Restarts        int // Restart calls that took the broker down
}
