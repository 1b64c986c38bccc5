package azureiot

import "strings"

// ClientID returns the MQTT client ID for a device ("{deviceId}") or, when
// moduleID is not empty, a module ("{deviceId}/{moduleId}"). IDs are not
// URL-encoded. It returns a *IDError for an invalid ID.
func ClientID(deviceID, moduleID string) (string, error) {
	if err := validateIdentity(deviceID, moduleID); err != nil {
		return "", err
	}
	if moduleID == "" {
		return deviceID, nil
	}
	return deviceID + "/" + moduleID, nil
}

// Username returns the MQTT username:
//
//	{hostName}/{deviceId}/?api-version=2021-04-12
//	{hostName}/{deviceId}/{moduleId}/?api-version=2021-04-12
//
// followed by "&model-id={URL-encoded modelID}" when modelID (an IoT Plug and
// Play DTMI such as "dtmi:com:example:Thermostat;1") is not empty. IDs are not
// URL-encoded. It returns a *IDError for an invalid host name, ID or model ID.
func Username(hostName, deviceID, moduleID, modelID string) (string, error) {
	if err := validateHostName("HostName", hostName); err != nil {
		return "", err
	}
	if err := validateIdentity(deviceID, moduleID); err != nil {
		return "", err
	}
	if modelID != "" && !strings.HasPrefix(modelID, "dtmi:") {
		return "", &IDError{Field: "ModelId", Reason: `not a DTMI (must start with "dtmi:")`}
	}
	var b strings.Builder
	b.WriteString(hostName)
	b.WriteByte('/')
	b.WriteString(deviceID)
	b.WriteByte('/')
	if moduleID != "" {
		b.WriteString(moduleID)
		b.WriteByte('/')
	}
	b.WriteString("?api-version=")
	b.WriteString(APIVersion)
	if modelID != "" {
		b.WriteString("&model-id=")
		b.WriteString(percentEncode(modelID))
	}
	return b.String(), nil
}
