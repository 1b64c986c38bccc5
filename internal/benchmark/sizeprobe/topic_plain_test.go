//go:build sizeprobe_plain

package main

// sentTopic is where the plain adapter sends canonical topic "telemetry"
// of device dev-1: under the device's id.
const sentTopic = "dev-1/telemetry"
