// Package twinsvc is the Azure IoT Hub device twin service as a sans-I/O
// state machine: it keeps each device's twin (desired and reported
// properties, each with its $version) and turns the requests a device
// publishes into the messages the hub would send back.
//
// It does no I/O and starts no goroutine. The Azure emulator
// (transport/azureiot/azureiottest) feeds it every publish on
// "$iothub/twin/" and delivers the returned messages; tests of the twin
// client can drive it directly through a fake transport.
//
// Behaviour, as IoT Hub documents it (PROTOCOLS.md §2):
//
//   - $iothub/twin/GET/?$rid={rid} → $iothub/twin/res/200/?$rid={rid} with
//     {"desired":{...,"$version":N},"reported":{...,"$version":M}}.
//   - $iothub/twin/PATCH/properties/reported/?$rid={rid} with a JSON merge
//     patch → $iothub/twin/res/204/?$rid={rid}&$version={M+1}, or
//     $iothub/twin/res/400/?$rid={rid} when the payload is not a JSON object,
//     breaks the twin rules (twindoc.Validate), or would make the reported
//     properties larger than twindoc.MaxPropertiesSize.
//   - UpdateDesired, the service API, merges a desired patch, increments the
//     desired $version and returns the notification
//     $iothub/twin/PATCH/properties/desired/?$version={N} for the caller to
//     deliver to the device only if it is online and subscribed: the hub
//     queues nothing for an offline device.
//
// FailNext and FailNextOf inject failure statuses (429, 5xx, ...) or lost
// responses for the next requests of a device.
package twinsvc
