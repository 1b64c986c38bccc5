package azureiottest

import (
	"context"
	"time"
)

// MethodResponsePrefix is the topic prefix of direct-method answers, which
// the hub's method service consumes.
const MethodResponsePrefix = "$iothub/methods/res/"

// InvokeMethod calls a direct method on a device or module ("dev" or
// "dev/mod") as IoT Hub's service API does: it publishes the request on
// $iothub/methods/POST/{method}/?$rid={rid} at QoS 0 and waits up to
// timeout (0: 30 s; the hub accepts 5 s to 300 s, see
// WithMinMethodTimeout) for the answer with that $rid. It returns the
// device's status and payload, or the hub's own answer with an error body:
// 404 when the device is not connected or not subscribed to
// $iothub/methods/POST/#, 504 when it does not answer in time, 400 for an
// invalid call. err is non-nil only when ctx ends first or the hub is
// closed.
func (h *Hub) InvokeMethod(ctx context.Context, clientID, method string, payload []byte, timeout time.Duration) (status int, response []byte, err error) {
	return h.methods.InvokeMethod(ctx, clientID, method, payload, timeout)
}
