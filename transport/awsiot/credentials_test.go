package awsiot

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	type wrapper struct{ C Credentials }
	outputs := map[string]string{
		"String":  c.String(),
		"%v":      fmt.Sprintf("%v", c),
		"%+v":     fmt.Sprintf("%+v", c),
		"%#v":     fmt.Sprintf("%#v", c),
		"%s":      fmt.Sprintf("%s", c),
		"%q":      fmt.Sprintf("%q", c),
		"%x":      fmt.Sprintf("%x", c),
		"%d":      fmt.Sprintf("%d", c),
		"&%v":     fmt.Sprintf("%v", &c),
		"nested":  fmt.Sprintf("%+v", wrapper{c}),
		"nested#": fmt.Sprintf("%#v", wrapper{c}),
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("connect", "creds", c)
	outputs["slog"] = buf.String()
	for name, out := range outputs {
		if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
			t.Errorf("%s output leaks a secret: %s", name, out)
		}
		if !strings.Contains(out, testKeyID) {
			t.Errorf("%s output lacks the access key ID: %s", name, out)
		}
	}
}

func TestCredentialsString(t *testing.T) {
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{"all set", Credentials{"AKID", "s", "t"}, "{AccessKeyID:AKID SecretAccessKey:[REDACTED] SessionToken:[REDACTED]}"},
		{"no token shows empty", Credentials{"AKID", "s", ""}, "{AccessKeyID:AKID SecretAccessKey:[REDACTED] SessionToken:}"},
		{"zero", Credentials{}, "{AccessKeyID: SecretAccessKey: SessionToken:}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
