package awsiottest

import (
	"fmt"

	"github.com/tether-iot/tether/internal/shadowdoc"
	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// The Device Shadow service: the broker's interceptor hands it every
// publish on a shadow request topic, and its answers go to the
// subscribers connected now, as AWS publishes them (see the package doc).

// interceptShadow consumes the device's shadow requests (get, update,
// delete of classic and named shadows) and publishes the service's
// answers. Any client may use any thing's shadows, as under a policy
// allowing iot:Publish on $aws/things/*/shadow/*.
func (e *Emulator) interceptShadow(clientID string, m mqttxtest.Message) bool {
	e.shadowMu.Lock()
	defer e.shadowMu.Unlock()
	replies, handled := e.shadows.HandlePublish(clientID, m.Topic, m.Payload)
	if handled {
		e.deliverShadowLocked(replies)
	}
	return handled
}

// deliverShadowLocked publishes the service's messages, in order, to the
// clients connected now whose subscriptions on their current connection
// match, at the QoS granted (1 for a QoS 1 subscription). Nothing is
// queued for a client that is away, even with a persistent session: AWS
// does not redeliver shadow messages. e.shadowMu is held.
func (e *Emulator) deliverShadowLocked(pubs []shadowsvc.Publish) {
	if len(pubs) == 0 {
		return
	}
	connected := e.broker.Clients() // sorted: deliveries in a stable order
	e.mu.Lock()
	links := make([]*link, 0, len(connected))
	for _, id := range connected {
		if l := e.links[id]; l != nil {
			links = append(links, l)
		}
	}
	e.mu.Unlock()
	for _, p := range pubs {
		for _, l := range links {
			if qos, ok := l.grantedQoS(p.Topic); ok {
				// ErrNoSession: the client has just gone, and misses it.
				_ = e.broker.PublishTo(l.clientID, p.Topic, p.Payload, qos)
			}
		}
	}
}

// addLink makes l the connection of its client ID that shadow messages
// go to.
func (e *Emulator) addLink(l *link) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.links[l.clientID] = l
}

// removeLink forgets l, unless a newer connection replaced it.
func (e *Emulator) removeLink(l *link) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.links[l.clientID] == l {
		delete(e.links, l.clientID)
	}
}

// SetDesired changes a shadow's desired state from the cloud side, as the
// AWS console or an application using the HTTP API does: desired is merged
// into the desired state (a key set to nil is removed), creating the
// shadow if needed; shadowName "" is the classic shadow. The service
// publishes update/accepted, update/delta (when desired differs from
// reported) and update/documents to the clients subscribed now; a device
// that is offline gets nothing and learns the change with its next get.
// The error wraps the service's rejection (a 413 for a document over
// 8 KiB, a 400 for a too deep one) or an invalid thing or shadow name.
func (e *Emulator) SetDesired(thing, shadowName string, desired map[string]any) error {
	e.shadowMu.Lock()
	defer e.shadowMu.Unlock()
	pubs, err := e.shadows.SetDesired(thing, shadowName, desired)
	if err != nil {
		return fmt.Errorf("awsiottest: set desired of %s: %w", shadowLabel(thing, shadowName), err)
	}
	e.deliverShadowLocked(pubs)
	return nil
}

// ShadowDocument returns a copy of a shadow's document as the service
// stores it (delta included when desired differs from reported), and false
// when the shadow does not exist or was deleted. shadowName "" is the
// classic shadow.
func (e *Emulator) ShadowDocument(thing, shadowName string) (shadowdoc.Document, bool) {
	return e.shadows.Document(thing, shadowName)
}

// DeleteShadow deletes a shadow from the cloud side and publishes
// delete/accepted to the clients subscribed now. Its version is kept: the
// next update continues from it. The error wraps a 404 when there is no
// such shadow.
func (e *Emulator) DeleteShadow(thing, shadowName string) error {
	e.shadowMu.Lock()
	defer e.shadowMu.Unlock()
	pubs, err := e.shadows.Delete(thing, shadowName)
	if err != nil {
		return fmt.Errorf("awsiottest: delete %s: %w", shadowLabel(thing, shadowName), err)
	}
	e.deliverShadowLocked(pubs)
	return nil
}

// HoldShadowRequests keeps the shadow requests published for thing (any
// of its shadows) from now on unanswered, in flight, until
// ReleaseShadowRequests: up to 10 of them (AWS's limit of requests in
// flight); the service rejects the next ones at once with 429, as AWS
// does.
func (e *Emulator) HoldShadowRequests(thing string) { e.shadows.Hold(thing) }

// HeldShadowRequests returns how many shadow requests of thing are held in
// flight.
func (e *Emulator) HeldShadowRequests(thing string) int { return e.shadows.Held(thing) }

// ReleaseShadowRequests stops holding thing's shadow requests and answers
// the held ones in the order they arrived, publishing the answers to the
// clients subscribed now.
func (e *Emulator) ReleaseShadowRequests(thing string) {
	e.shadowMu.Lock()
	defer e.shadowMu.Unlock()
	e.deliverShadowLocked(e.shadows.Release(thing))
}

// shadowLabel names a shadow in errors.
func shadowLabel(thing, shadowName string) string {
	if shadowName == "" {
		return fmt.Sprintf("the classic shadow of %q", thing)
	}
	return fmt.Sprintf("shadow %q of %q", shadowName, thing)
}
