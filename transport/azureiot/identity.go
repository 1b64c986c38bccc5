package azureiot

import "fmt"

// ValidateDeviceID checks id against IoT Hub's device ID rules: 1 to
// MaxIDLength characters, each an ASCII letter or digit or one of
// - . + % _ # * ? ! ( ) , : = @ $ '
// It returns a *IDError (matching ErrInvalidID) otherwise.
//
// IoT Hub accepts '+' and '#' in IDs, but they are MQTT wildcards: such a
// device cannot use the devices/{id}/... topics (D2CTopic rejects it).
func ValidateDeviceID(id string) error { return validateID("DeviceId", id) }

// ValidateModuleID checks id against IoT Hub's module ID rules, which are the
// same as for device IDs (see ValidateDeviceID).
func ValidateModuleID(id string) error { return validateID("ModuleId", id) }

func validateID(field, id string) error {
	if id == "" {
		return &IDError{Field: field, Reason: "empty"}
	}
	if len(id) > MaxIDLength {
		return &IDError{Field: field, Reason: fmt.Sprintf("%d bytes, longer than %d", len(id), MaxIDLength)}
	}
	for i := 0; i < len(id); i++ {
		if !isIDByte(id[i]) {
			return &IDError{Field: field, Reason: fmt.Sprintf("character %q at byte %d not allowed", id[i], i)}
		}
	}
	return nil
}

func isIDByte(c byte) bool {
	if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
		return true
	}
	switch c {
	case '-', '.', '+', '%', '_', '#', '*', '?', '!', '(', ')', ',', ':', '=', '@', '$', '\'':
		return true
	}
	return false
}

// maxHostNameLength is the longest DNS name.
const maxHostNameLength = 253

// validateHostName checks that host looks like a DNS name or IP address,
// optionally with a port: letters, digits and - . _ : [ ]. It catches pasted
// whitespace, URLs ("https://...") and paths, which IoT Hub would reject late.
func validateHostName(field, host string) error {
	if host == "" {
		return &IDError{Field: field, Reason: "empty"}
	}
	if len(host) > maxHostNameLength {
		return &IDError{Field: field, Reason: fmt.Sprintf("%d bytes, longer than %d", len(host), maxHostNameLength)}
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		ok := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == ':' || c == '[' || c == ']'
		if !ok {
			return &IDError{Field: field, Reason: fmt.Sprintf("character %q at byte %d not allowed", c, i)}
		}
	}
	return nil
}

// validateIdentity checks a device ID and an optional module ID.
func validateIdentity(deviceID, moduleID string) error {
	if err := ValidateDeviceID(deviceID); err != nil {
		return err
	}
	if moduleID != "" {
		return ValidateModuleID(moduleID)
	}
	return nil
}
