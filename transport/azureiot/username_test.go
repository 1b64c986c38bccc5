package azureiot

import (
	"errors"
	"testing"
)

func TestClientID(t *testing.T) {
	tests := []struct {
		device, module, want string
		wantErr              bool
	}{
		{"d1", "", "d1", false},
		{"d1", "m1", "d1/m1", false},
		{"a%b", "m$1", "a%b/m$1", false}, // not URL-encoded
		{"", "", "", true},
		{"d1", "m/1", "", true},
	}
	for _, tt := range tests {
		got, err := ClientID(tt.device, tt.module)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ClientID(%q, %q) = %q, %v; want %q, err %v", tt.device, tt.module, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("error %v does not match ErrInvalidID", err)
		}
	}
}

func TestUsername(t *testing.T) {
	tests := []struct {
		name                          string
		host, device, module, modelID string
		want                          string
		wantField                     string // IDError field when an error is expected
	}{
		{
			name: "device", host: "myhub.azure-devices.net", device: "d1",
			want: "myhub.azure-devices.net/d1/?api-version=2021-04-12",
		},
		{
			name: "module", host: "myhub.azure-devices.net", device: "d1", module: "m1",
			want: "myhub.azure-devices.net/d1/m1/?api-version=2021-04-12",
		},
		{
			name: "model id is URL-encoded", host: "h.net", device: "d1", modelID: "dtmi:com:example:Thermostat;1",
			want: "h.net/d1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1",
		},
		{
			name: "module with model id", host: "h.net", device: "d1", module: "m1", modelID: "dtmi:a;2",
			want: "h.net/d1/m1/?api-version=2021-04-12&model-id=dtmi%3Aa%3B2",
		},
		{
			name: "ids are not URL-encoded", host: "h.net", device: "a$b%c", module: "m=1",
			want: "h.net/a$b%c/m=1/?api-version=2021-04-12",
		},
		{name: "empty host", device: "d1", wantField: "HostName"},
		{name: "bad device", host: "h.net", device: "d 1", wantField: "DeviceId"},
		{name: "bad module", host: "h.net", device: "d1", module: "m/1", wantField: "ModuleId"},
		{name: "model not a DTMI", host: "h.net", device: "d1", modelID: "thermostat", wantField: "ModelId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Username(tt.host, tt.device, tt.module, tt.modelID)
			if tt.wantField != "" {
				var ie *IDError
				if !errors.As(err, &ie) || ie.Field != tt.wantField || !errors.Is(err, ErrInvalidID) {
					t.Fatalf("Username = %q, %v; want *IDError for %s", got, err, tt.wantField)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Username = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
