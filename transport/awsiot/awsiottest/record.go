package awsiottest

import (
	"crypto/x509"
	"errors"
	"slices"
	"time"

	"github.com/tether-iot/tether/transport/awsiot"
)

// Errors the emulator records as Violation causes, besides the awsiot
// limit sentinels (ErrPayloadTooLarge, ErrQoSNotSupported,
// ErrTooManyFilters, ErrTooManySubscriptions, ErrTopicTooLong, ...) and
// awsiot.ErrInvalidSignature.
var (
	// ErrNotAuthorized: the connection did not authenticate (no client
	// certificate, custom authorizer refused or unknown).
	ErrNotAuthorized = errors.New("awsiottest: not authorized")
	// ErrProtocol: the device broke MQTT 3.1.1.
	ErrProtocol = errors.New("awsiottest: protocol violation")
)

// Connection describes one accepted MQTT connection, for assertions.
type Connection struct {
	ClientID     string
	Auth         awsiot.AuthMethod // how the device authenticated
	ALPN         string            // the negotiated TLS ALPN protocol, "" without
	Certificate  *x509.Certificate // the device certificate, if it sent one
	Username     string            // as sent
	KeepAlive    time.Duration     // as requested in CONNECT (AWS applies awsiot.ClampKeepAlive)
	CleanSession bool
	// Subscribes holds the filters of each SUBSCRIBE packet, in order.
	Subscribes [][]string
}

func (c Connection) clone() Connection {
	c.Subscribes = slices.Clone(c.Subscribes)
	for i, s := range c.Subscribes {
		c.Subscribes[i] = slices.Clone(s)
	}
	return c
}

// Violation is a connection the emulator closed or refused, and why, as
// AWS IoT Core would (mostly without telling the device).
type Violation struct {
	ClientID string // "" when the violation came before CONNECT
	Err      error  // matches an awsiot sentinel or one of this package's
}

// Connections returns the connections accepted so far, oldest first.
func (e *Emulator) Connections() []Connection {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Connection, len(e.connections))
	for i, c := range e.connections {
		out[i] = c.clone()
	}
	return out
}

// Violations returns the violations so far, oldest first.
func (e *Emulator) Violations() []Violation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.violations)
}

func (e *Emulator) violation(clientID string, err error) {
	e.log.Info("awsiottest: closing a connection", "client", clientID, "reason", err)
	e.mu.Lock()
	e.violations = append(e.violations, Violation{ClientID: clientID, Err: err})
	e.mu.Unlock()
}

// addConnection records c and returns its index.
func (e *Emulator) addConnection(c Connection) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connections = append(e.connections, c)
	return len(e.connections) - 1
}

func (e *Emulator) addSubscribe(conn int, filters []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connections[conn].Subscribes = append(e.connections[conn].Subscribes, slices.Clone(filters))
}
