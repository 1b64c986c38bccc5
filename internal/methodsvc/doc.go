// Package methodsvc is the service side of Azure IoT Hub direct methods,
// for the Azure emulator: what the hub does between a service's "invoke
// method" call and the device (PROTOCOLS.md §2).
//
// It knows no broker. The emulator gives it two hooks, IsSubscribed and
// PublishTo, and feeds it what devices publish with HandleDevicePublish;
// [Service.InvokeMethod] then behaves as the hub: 404 (error code 404103,
// device not online) when the device is not connected or not subscribed to
// "$iothub/methods/POST/#"; otherwise the request is published on
// "$iothub/methods/POST/{method}/?$rid={rid}" with a fresh $rid, and the
// device's "$iothub/methods/res/{status}/?$rid={rid}" is correlated by
// device and $rid; no answer before the timeout is 504 (504101). The hub
// never retries.
package methodsvc
