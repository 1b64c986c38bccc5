package azureiottest

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/azureiot"
)

// RetainProperty is the application property the hub adds to a
// device-to-cloud message published with RETAIN; it stores nothing.
const RetainProperty = "mqtt-retain"

// D2CMessage is a device-to-cloud message as the hub received it.
type D2CMessage struct {
	DeviceID string
	ModuleID string // empty for a device
	// Topic is the canonical topic: "events", or the subtopic property
	// ("response.sensor.12" → "response/sensor/12"). Empty when the
	// property bag could not be read as canonical (see RawTopic).
	Topic string
	// Properties are the decoded system and application properties
	// (without subtopic). A RETAIN publish adds RetainProperty.
	Properties azureiot.Properties
	Payload    []byte
	QoS        byte
	Duplicate  bool   // the DUP flag: a retransmission
	RawTopic   string // the IoT Hub topic as published
}

// intercept consumes every PUBLISH the authorizer let through: D2C
// messages are recorded (the hub never routes them to MQTT subscribers, so
// nothing is retained) and $iothub requests go to the service registered
// for their topic.
func (h *Hub) intercept(clientID string, m mqttxtest.Message) bool {
	deviceID, moduleID := splitClientID(clientID)
	if strings.HasPrefix(m.Topic, "$iothub/") {
		h.serve(Request{ClientID: clientID, DeviceID: deviceID, ModuleID: moduleID,
			Topic: m.Topic, Payload: m.Payload, QoS: m.QoS})
		return true
	}
	msg := D2CMessage{DeviceID: deviceID, ModuleID: moduleID, Payload: m.Payload, QoS: m.QoS,
		Duplicate: m.Duplicate, RawTopic: m.Topic}
	if canonical, props, err := azureiot.ParseD2CTopic(deviceID, moduleID, m.Topic); err == nil {
		msg.Topic, msg.Properties = canonical, props
	} else if bag, ok := d2cBag(m.Topic); ok {
		// Not canonical (say, a duplicate name): keep what can be read.
		for _, p := range bag {
			if msg.Properties.Application == nil {
				msg.Properties.Application = make(map[string]string)
			}
			msg.Properties.Application[p.Name] = p.Value
		}
	}
	if m.Retain {
		if msg.Properties.Application == nil {
			msg.Properties.Application = make(map[string]string)
		}
		msg.Properties.Application[RetainProperty] = "true"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return true
	}
	h.d2c[clientID] = append(h.d2c[clientID], msg)
	close(h.changed)
	h.changed = make(chan struct{})
	return true
}

// D2C returns the device-to-cloud messages the hub has received from a
// device ("dev") or module ("dev/mod"), in order, retransmissions
// included.
func (h *Hub) D2C(clientID string) []D2CMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]D2CMessage(nil), h.d2c[clientID]...)
}

// WaitD2C waits until the hub has received at least n device-to-cloud
// messages from a device ("dev") or module ("dev/mod") and returns them
// all, or ctx's error, or ErrClosed.
func (h *Hub) WaitD2C(ctx context.Context, clientID string, n int) ([]D2CMessage, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, ErrClosed
		}
		msgs := h.d2c[clientID]
		changed := h.changed
		if len(msgs) >= n {
			out := append([]D2CMessage(nil), msgs...)
			h.mu.Unlock()
			return out, nil
		}
		h.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("azureiottest: waiting for %d D2C messages from %q: %w", n, clientID, ctx.Err())
		}
	}
}

// SendC2D sends a cloud-to-device message to a device, at QoS 1, on
//
//	devices/{deviceId}/messages/devicebound/{property bag}
//
// as the hub does: the bag holds props plus "$.mid" (generated when empty)
// and "$.to". A backend sets the application property
// azureiot.SubtopicProperty ("request.sensor.list") to give the device a
// canonical topic ("request/sensor/list"). The message reaches the device's
// C2D subscription, or waits in its persistent session while it is away; a
// device that never subscribed does not get it. Messages over
// azureiot.MaxC2DMessageSize are refused.
func (h *Hub) SendC2D(deviceID string, body []byte, props azureiot.Properties) error {
	h.mu.Lock()
	id := h.identities[deviceID]
	h.mu.Unlock()
	if id == nil || id.moduleID != "" {
		return fmt.Errorf("%w: %q", ErrUnknownDevice, deviceID)
	}
	if props.MessageID == "" {
		props.MessageID = uuid.NewString()
	}
	if props.To == "" {
		props.To = "/devices/" + deviceID + "/messages/devicebound"
	}
	bag, err := props.Bag()
	if err != nil {
		return fmt.Errorf("azureiottest: SendC2D: %w", err)
	}
	if n := azureiot.MessageSize(body, bag); n > azureiot.MaxC2DMessageSize {
		return fmt.Errorf("azureiottest: SendC2D: %w", &azureiot.MessageSizeError{Size: n, Limit: azureiot.MaxC2DMessageSize})
	}
	enc, err := bag.Encode()
	if err != nil {
		return fmt.Errorf("azureiottest: SendC2D: %w", err)
	}
	filter, err := azureiot.C2DFilter(deviceID)
	if err != nil {
		return fmt.Errorf("azureiottest: SendC2D: %w", err)
	}
	return h.broker.Publish(strings.TrimSuffix(filter, "#")+enc, body, 1, false)
}
