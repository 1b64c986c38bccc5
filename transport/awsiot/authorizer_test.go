package awsiot

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestCustomAuthorizerMQTTUsername(t *testing.T) {
	const sig = "dBwm3Q4X1f4+aBcD/eFgH=="
	tests := []struct {
		name string
		a    CustomAuthorizer
		want string
	}{
		{
			name: "name only (token signing disabled, credentials in the password)",
			a:    CustomAuthorizer{Name: "my-authorizer"},
			want: "?x-amz-customauthorizer-name=my-authorizer",
		},
		{
			name: "signed token, base64 escaped",
			a:    CustomAuthorizer{Name: "my-authorizer", Signature: sig, TokenKeyName: "tokenKey", Token: "tok.en"},
			want: "?x-amz-customauthorizer-name=my-authorizer&x-amz-customauthorizer-signature=dBwm3Q4X1f4%2BaBcD%2FeFgH%3D%3D&tokenKey=tok.en",
		},
		{
			name: "unsigned token",
			a:    CustomAuthorizer{Name: "auth", TokenKeyName: "token", Token: "a b&c=d"},
			want: "?x-amz-customauthorizer-name=auth&token=a%20b%26c%3Dd",
		},
		{
			name: "username before the query",
			a:    CustomAuthorizer{Name: "auth", Username: "device-7"},
			want: "device-7?x-amz-customauthorizer-name=auth",
		},
		{
			name: "authorizer name escaped",
			a:    CustomAuthorizer{Name: "a&b"},
			want: "?x-amz-customauthorizer-name=a%26b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.MQTTUsername()
			if err != nil {
				t.Fatalf("MQTTUsername: %v", err)
			}
			if got != tt.want {
				t.Errorf("MQTTUsername() = %q, want %q", got, tt.want)
			}
			// Any query decoder reads the values back unchanged.
			_, query, _ := strings.Cut(got, "?")
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			if q.Get(AuthorizerNameParam) != tt.a.Name || q.Get(AuthorizerSignatureParam) != tt.a.Signature {
				t.Errorf("decoded name, signature = %q, %q", q.Get(AuthorizerNameParam), q.Get(AuthorizerSignatureParam))
			}
			if tt.a.TokenKeyName != "" && q.Get(tt.a.TokenKeyName) != tt.a.Token {
				t.Errorf("decoded token = %q, want %q", q.Get(tt.a.TokenKeyName), tt.a.Token)
			}
		})
	}
}

func TestCustomAuthorizerErrors(t *testing.T) {
	const secret = "s3cr3t-signature"
	tests := []struct {
		name string
		a    CustomAuthorizer
	}{
		{"no name", CustomAuthorizer{Signature: secret, TokenKeyName: "k", Token: secret}},
		{"token without key name", CustomAuthorizer{Name: "a", Token: secret}},
		{"key name without token", CustomAuthorizer{Name: "a", TokenKeyName: "k"}},
		{"signature without token", CustomAuthorizer{Name: "a", Signature: secret}},
		{"question mark in username", CustomAuthorizer{Name: "a", Username: "u?x"}},
		{"key name is reserved", CustomAuthorizer{Name: "a", TokenKeyName: AuthorizerNameParam, Token: secret}},
		{"too long for MQTT", CustomAuthorizer{Name: "a", TokenKeyName: "k", Token: strings.Repeat(secret, 5000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.MQTTUsername()
			if !errors.Is(err, ErrInvalidAuthorizer) {
				t.Fatalf("err = %v, want ErrInvalidAuthorizer", err)
			}
			if got != "" {
				t.Errorf("username = %q on error", got)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains a secret", err)
			}
		})
	}
}

func TestCustomAuthorizerRedacts(t *testing.T) {
	const sig, token = "SIGNATUREVALUE", "TOKENVALUE"
	a := CustomAuthorizer{Name: "auth", Signature: sig, TokenKeyName: "tk", Token: token, Username: "dev"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, a)
		if strings.Contains(out, sig) || strings.Contains(out, token) {
			t.Errorf("%s leaks a secret: %s", verb, out)
		}
		if !strings.Contains(out, "auth") {
			t.Errorf("%s lacks the authorizer name: %s", verb, out)
		}
	}
	if got, want := a.String(), "{Name:auth Signature:[REDACTED] TokenKeyName:tk Token:[REDACTED] Username:dev}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestConnectionConstants(t *testing.T) {
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"MQTT port", PortMQTT, 8883},
		{"HTTPS port", PortHTTPS, 443},
		{"X.509 on 443 ALPN", ALPNX509, "x-amzn-mqtt-ca"},
		{"custom authorizer ALPN", ALPNCustomAuthorizer, "mqtt"},
		{"WebSocket path", WebSocketPath, "/mqtt"},
		{"WebSocket subprotocol", WebSocketSubprotocol, "mqtt"},
		{"SigV4 service", SigningService, "iotdevicegateway"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
