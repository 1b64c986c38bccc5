package azureiottest

import (
	"fmt"
	"strings"

	"github.com/tether-iot/tether/mqttx"
)

// Request is a message a device or module published on one of the hub's
// reserved topics ($iothub/twin/GET/..., $iothub/twin/PATCH/...,
// $iothub/methods/res/...). Only topics the hub accepts reach a service.
type Request struct {
	ClientID string // "dev" or "dev/mod"
	DeviceID string
	ModuleID string
	Topic    string
	Payload  []byte
	QoS      byte
}

// Service handles the requests on the topics under one prefix. It runs on
// the device's connection goroutine before the request's PUBACK is sent:
// answer with Hub.Deliver (it does not block), and hand slow work to a
// goroutine of the service's own.
type Service func(r Request)

type service struct {
	prefix string
	fn     Service
}

// Handle registers the service for the requests whose topic starts with
// prefix, such as "$iothub/twin/" (a twin service) or "$iothub/methods/res/"
// (direct method responses). The longest matching prefix wins; registering a
// prefix again replaces its service. Requests no service handles are
// consumed without an answer. The hub's own twin service is registered for
// TwinPrefix from the start.
func (h *Hub) Handle(prefix string, s Service) {
	if !strings.HasPrefix(prefix, "$iothub/") {
		h.fail(fmt.Errorf("azureiottest: Handle: prefix %q is not under $iothub/", prefix))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.services {
		if h.services[i].prefix == prefix {
			h.services[i].fn = s
			return
		}
	}
	h.services = append(h.services, service{prefix: prefix, fn: s})
}

func (h *Hub) serve(r Request) {
	h.mu.Lock()
	var best service
	for _, s := range h.services {
		if strings.HasPrefix(r.Topic, s.prefix) && len(s.prefix) > len(best.prefix) {
			best = s
		}
	}
	h.mu.Unlock()
	if best.fn == nil {
		h.log.Debug("azureiottest: request without a service", "client", r.ClientID, "topic", r.Topic)
		return
	}
	best.fn(r)
}

// Subscribed reports whether the client ("dev" or "dev/mod") has
// subscribed, in its current session, to a filter matching topic.
func (h *Hub) Subscribed(clientID, topic string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[clientID]
	if s == nil {
		return false
	}
	for f := range s.subs {
		if mqttx.MatchTopic(f, topic) {
			return true
		}
	}
	return false
}

// Deliver sends a message from the hub to one device or module, as the
// hub's services answer ($iothub/twin/res/..., desired property patches,
// method requests). Like the hub, it delivers only on a topic the client has
// subscribed to (ErrNotSubscribed otherwise).
func (h *Hub) Deliver(clientID, topic string, payload []byte, qos byte) error {
	if !h.Subscribed(clientID, topic) {
		return fmt.Errorf("%w: %q to %q", ErrNotSubscribed, clientID, topic)
	}
	return h.broker.PublishTo(clientID, topic, payload, qos)
}
