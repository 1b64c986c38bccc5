//go:build sizeprobe_mqttx || !(sizeprobe_plain || sizeprobe_aws || sizeprobe_azure || sizeprobe_both)

package main

// sentTopic is where mqttx publishes topic "telemetry": as given.
const sentTopic = "telemetry"
