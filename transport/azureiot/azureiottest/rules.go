package azureiottest

import (
	"strings"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/azureiot"
)

// splitClientID returns the identity of an authenticated client id,
// "{deviceId}" or "{deviceId}/{moduleId}" (IDs cannot contain '/').
func splitClientID(clientID string) (deviceID, moduleID string) {
	deviceID, moduleID, _ = strings.Cut(clientID, "/")
	return deviceID, moduleID
}

// authorize applies IoT Hub's topic rules: a PUBLISH to a topic the hub does
// not accept from the identity, a D2C message over
// azureiot.MaxD2CMessageSize, a SUBSCRIBE to any other filter than the
// identity's allowed ones, or more than azureiot.MaxSubscriptions
// subscriptions close the connection without a reply. (QoS 2 is the
// broker's QoS2Disconnect policy.)
func (h *Hub) authorize(a mqttxtest.Action) mqttxtest.Decision {
	deviceID, moduleID := splitClientID(a.ClientID)
	if a.Subscribe {
		if !azureiot.CanSubscribe(deviceID, moduleID, a.Topic) {
			h.log.Debug("azureiottest: subscription not allowed, closing", "client", a.ClientID, "filter", a.Topic)
			return mqttxtest.Disconnect
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		s := h.session(a.ClientID)
		if _, ok := s.subs[a.Topic]; !ok && len(s.subs) >= azureiot.MaxSubscriptions {
			h.log.Debug("azureiottest: too many subscriptions, closing", "client", a.ClientID)
			return mqttxtest.Disconnect
		}
		s.subs[a.Topic] = struct{}{}
		return mqttxtest.Allow
	}
	if !azureiot.CanPublish(deviceID, moduleID, a.Topic) {
		h.log.Debug("azureiottest: publish not allowed, closing", "client", a.ClientID, "topic", a.Topic)
		return mqttxtest.Disconnect
	}
	if bag, ok := d2cBag(a.Topic); ok {
		if n := azureiot.MessageSize(a.Payload, bag); n > azureiot.MaxD2CMessageSize {
			h.log.Debug("azureiottest: message too large, closing", "client", a.ClientID, "size", n)
			return mqttxtest.Disconnect
		}
	}
	return mqttxtest.Allow
}

// d2cEvents separates a D2C topic's identity from its property bag.
const d2cEvents = "/messages/events/"

// d2cBag returns the decoded property bag of a D2C topic that CanPublish
// accepted. IDs cannot contain '/', so the first d2cEvents ends the prefix.
func d2cBag(topic string) (azureiot.PropertyBag, bool) {
	if !strings.HasPrefix(topic, "devices/") {
		return nil, false
	}
	i := strings.Index(topic, d2cEvents)
	if i < 0 {
		return nil, false
	}
	bag, err := azureiot.ParsePropertyBag(topic[i+len(d2cEvents):])
	return bag, err == nil
}
