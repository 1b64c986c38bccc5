package azureiot

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateDeviceAndModuleID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		wantErr string // substring; empty for valid
	}{
		{"simple", "device1", ""},
		{"all specials", "-.+%_#*?!(),:=@$'", ""},
		{"max length", strings.Repeat("a", MaxIDLength), ""},
		{"empty", "", "empty"},
		{"too long", strings.Repeat("a", MaxIDLength+1), "longer than 128"},
		{"slash", "a/b", `'/' at byte 1`},
		{"space", "a b", `' ' at byte 1`},
		{"ampersand", "a&b", "not allowed"},
		{"semicolon", "a;b", "not allowed"},
		{"non-ASCII", "dév", "not allowed"},
		{"NUL", "a\x00", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for field, validate := range map[string]func(string) error{"DeviceId": ValidateDeviceID, "ModuleId": ValidateModuleID} {
				err := validate(tt.id)
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("%s: unexpected error %v", field, err)
					}
					continue
				}
				if err == nil {
					t.Fatalf("%s: no error", field)
				}
				var ie *IDError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidID) {
					t.Fatalf("%s: error %v (%T) is not an *IDError matching ErrInvalidID", field, err, err)
				}
				if ie.Field != field {
					t.Errorf("Field = %q, want %q", ie.Field, field)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("%s: error %q lacks %q", field, err, tt.wantErr)
				}
			}
		})
	}
}
