package azureiot

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
)

// Connection string keys, spelled as IoT Hub spells them. Keys are
// case-sensitive.
const (
	keyHostName            = "HostName"
	keyDeviceID            = "DeviceId"
	keyModuleID            = "ModuleId"
	keySharedAccessKey     = "SharedAccessKey"
	keySharedAccessKeyName = "SharedAccessKeyName"
	keyX509                = "x509"
	keyGatewayHostName     = "GatewayHostName"
)

var connectionStringKeys = []string{
	keyHostName, keyDeviceID, keyModuleID, keySharedAccessKey,
	keySharedAccessKeyName, keyX509, keyGatewayHostName,
}

// redacted replaces the shared access key wherever a ConnectionString is
// printed.
const redacted = "<redacted>"

// ConnectionString is a parsed IoT Hub device or module connection string.
//
// Its String, GoString and LogValue methods redact the key, so printing or
// logging it is safe; do not print SharedAccessKey itself.
type ConnectionString struct {
	// HostName is the IoT Hub host, e.g. "myhub.azure-devices.net".
	HostName string
	// DeviceID is the device ID.
	DeviceID string
	// ModuleID is the module ID; empty for a device identity.
	ModuleID string
	// SharedAccessKeyName is the shared access policy name (the token's
	// skn); empty for a device or module key.
	SharedAccessKeyName string
	// SharedAccessKey is the decoded (binary) key; nil with X509.
	SharedAccessKey []byte
	// X509 is true for "x509=true": authenticate with a client certificate.
	X509 bool
	// GatewayHostName is the host to connect to instead of HostName, e.g. an
	// IoT Edge gateway; empty to connect to HostName.
	GatewayHostName string
}

// ParseConnectionString parses a connection string of the form
//
//	HostName=...;DeviceId=...;SharedAccessKey=...
//
// optionally with ModuleId, SharedAccessKeyName, x509=true and
// GatewayHostName. Keys are case-sensitive; surrounding white space and one
// trailing ';' are ignored. Parsing is strict: an unknown, duplicate or empty
// key, an empty value, a missing HostName or DeviceId, neither a
// SharedAccessKey nor x509=true (or both), a key that is not standard base64
// and an invalid ID or host name are errors.
//
// Errors are *ConnectionStringError values matching
// ErrInvalidConnectionString. They name the key concerned and never contain
// the shared access key or other values.
func ParseConnectionString(s string) (ConnectionString, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ";")
	if s == "" {
		return ConnectionString{}, &ConnectionStringError{Reason: "empty"}
	}
	values := make(map[string]string, len(connectionStringKeys))
	for i, seg := range strings.Split(s, ";") {
		name, value, found := strings.Cut(seg, "=")
		if !found {
			// The segment may be a stray key: do not echo it.
			return ConnectionString{}, &ConnectionStringError{Reason: fmt.Sprintf("segment %d: no '='", i+1)}
		}
		if name == "" {
			return ConnectionString{}, &ConnectionStringError{Reason: fmt.Sprintf("segment %d: empty key", i+1)}
		}
		if !isConnectionStringKey(name) {
			for _, k := range connectionStringKeys {
				if strings.EqualFold(k, name) {
					return ConnectionString{}, &ConnectionStringError{Field: k, Reason: fmt.Sprintf("segment %d: key is case-sensitive", i+1)}
				}
			}
			// An unknown name may be a mangled secret: report the position only.
			return ConnectionString{}, &ConnectionStringError{Reason: fmt.Sprintf("segment %d: unknown key", i+1)}
		}
		if _, dup := values[name]; dup {
			return ConnectionString{}, &ConnectionStringError{Field: name, Reason: "duplicate key"}
		}
		if value == "" {
			return ConnectionString{}, &ConnectionStringError{Field: name, Reason: "empty value"}
		}
		values[name] = value
	}

	cs := ConnectionString{
		HostName:            values[keyHostName],
		DeviceID:            values[keyDeviceID],
		ModuleID:            values[keyModuleID],
		SharedAccessKeyName: values[keySharedAccessKeyName],
		GatewayHostName:     values[keyGatewayHostName],
	}
	if cs.HostName == "" {
		return ConnectionString{}, &ConnectionStringError{Field: keyHostName, Reason: "missing"}
	}
	if err := validateHostName(keyHostName, cs.HostName); err != nil {
		return ConnectionString{}, fromIDError(err)
	}
	if cs.DeviceID == "" {
		return ConnectionString{}, &ConnectionStringError{Field: keyDeviceID, Reason: "missing"}
	}
	if err := validateIdentity(cs.DeviceID, cs.ModuleID); err != nil {
		return ConnectionString{}, fromIDError(err)
	}
	if cs.GatewayHostName != "" {
		if err := validateHostName(keyGatewayHostName, cs.GatewayHostName); err != nil {
			return ConnectionString{}, fromIDError(err)
		}
	}
	if v, ok := values[keyX509]; ok {
		switch strings.ToLower(v) {
		case "true":
			cs.X509 = true
		case "false":
		default:
			return ConnectionString{}, &ConnectionStringError{Field: keyX509, Reason: `not "true" or "false"`}
		}
	}

	key, hasKey := values[keySharedAccessKey]
	switch {
	case hasKey && cs.X509:
		return ConnectionString{}, &ConnectionStringError{Field: keyX509, Reason: "x509=true conflicts with SharedAccessKey"}
	case !hasKey && !cs.X509:
		return ConnectionString{}, &ConnectionStringError{Field: keySharedAccessKey, Reason: "missing (or set x509=true)"}
	case cs.SharedAccessKeyName != "" && !hasKey:
		return ConnectionString{}, &ConnectionStringError{Field: keySharedAccessKeyName, Reason: "given without SharedAccessKey"}
	}
	if hasKey {
		decoded, err := base64.StdEncoding.Strict().DecodeString(key)
		if err != nil || len(decoded) == 0 {
			// err would describe the key's content: drop it.
			return ConnectionString{}, &ConnectionStringError{Field: keySharedAccessKey, Reason: "not valid base64"}
		}
		cs.SharedAccessKey = decoded
	}
	return cs, nil
}

func isConnectionStringKey(name string) bool {
	for _, k := range connectionStringKeys {
		if k == name {
			return true
		}
	}
	return false
}

// fromIDError turns an identity validation error into a connection string
// error naming the same field.
func fromIDError(err error) error {
	if e, ok := err.(*IDError); ok {
		return &ConnectionStringError{Field: e.Field, Reason: e.Reason}
	}
	return &ConnectionStringError{Reason: err.Error()}
}

// ConnectHost returns the host to connect to: GatewayHostName if set,
// otherwise HostName. Tokens and usernames always use HostName.
func (c ConnectionString) ConnectHost() string {
	if c.GatewayHostName != "" {
		return c.GatewayHostName
	}
	return c.HostName
}

// Resource returns the SAS token resource of the identity (see
// DeviceResource).
func (c ConnectionString) Resource() string {
	return DeviceResource(c.HostName, c.DeviceID, c.ModuleID)
}

// String returns the connection string in its canonical key order with the
// shared access key replaced by "<redacted>".
func (c ConnectionString) String() string {
	var b strings.Builder
	field := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	field(keyHostName, c.HostName)
	field(keyDeviceID, c.DeviceID)
	field(keyModuleID, c.ModuleID)
	field(keySharedAccessKeyName, c.SharedAccessKeyName)
	if c.SharedAccessKey != nil {
		field(keySharedAccessKey, redacted)
	}
	if c.X509 {
		field(keyX509, "true")
	}
	field(keyGatewayHostName, c.GatewayHostName)
	return b.String()
}

// GoString is like String, so that %#v does not print the key either.
func (c ConnectionString) GoString() string {
	return "azureiot.ConnectionString(" + fmt.Sprintf("%q", c.String()) + ")"
}

// LogValue makes log/slog print the redacted form.
func (c ConnectionString) LogValue() slog.Value { return slog.StringValue(c.String()) }
