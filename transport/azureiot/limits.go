package azureiot

import "time"

// APIVersion is the IoT Hub MQTT API version sent in the username.
const APIVersion = "2021-04-12"

// IoT Hub limits (PROTOCOLS.md §2). Exceeding one makes the hub close the
// connection, usually without saying why, so the adapter checks them first.
const (
	// MaxSubscriptions is the number of subscriptions IoT Hub allows on one
	// connection.
	MaxSubscriptions = 5

	// MaxKeepAlive is the longest usable MQTT keepalive: the hub times a
	// connection out at 1.5 × keepalive, capped at 1767 s.
	MaxKeepAlive = 1177 * time.Second

	// MaxD2CMessageSize is the largest device-to-cloud message: body plus
	// the names and values of all properties.
	MaxD2CMessageSize = 256 * 1024

	// MaxC2DMessageSize is the largest cloud-to-device message.
	MaxC2DMessageSize = 64 * 1024

	// MaxIDLength is the longest device or module ID, in bytes (IDs are ASCII).
	MaxIDLength = 128

	// MaxMessageIDLength is the longest message ID ($.mid), in ASCII characters.
	MaxMessageIDLength = 128
)
