package awsiot

import (
	"fmt"
	"log/slog"
	"strings"
)

// Query parameter names AWS IoT Core reads from the MQTT username to select
// and feed a custom authorizer.
const (
	AuthorizerNameParam      = "x-amz-customauthorizer-name"
	AuthorizerSignatureParam = "x-amz-customauthorizer-signature"
)

// CustomAuthorizer selects an AWS IoT Core custom authorizer for an MQTT
// connection (port 443 with ALPN ALPNCustomAuthorizer). AWS reads the
// authorizer's inputs from a query string in the MQTT username; the MQTT
// password, if any, is passed to the authorizer's Lambda unchanged.
//
// String redacts Signature and Token.
type CustomAuthorizer struct {
	// Name is the authorizer's name. Required.
	Name string
	// Signature is the token signature (base64, as AWS documents it), for
	// an authorizer with token signing enabled; it requires a token.
	Signature string
	// TokenKeyName and Token are the token's query parameter: the
	// authorizer's token key name and the token. Set both or neither.
	TokenKeyName string
	Token        string
	// Username, if set, is passed to the authorizer as the MQTT username
	// proper, before the "?". It must not contain "?".
	Username string
}

// MQTTUsername returns the MQTT username that carries the authorizer:
//
//	{Username}?x-amz-customauthorizer-name={Name}[&x-amz-customauthorizer-signature={Signature}][&{TokenKeyName}={Token}]
//
// Every name and value is percent-encoded (RFC 3986 unreserved characters
// kept, so base64's "+", "/" and "=" are escaped). Errors match
// ErrInvalidAuthorizer and never contain the signature or the token.
func (a CustomAuthorizer) MQTTUsername() (string, error) {
	switch {
	case a.Name == "":
		return "", fmt.Errorf("%w: empty authorizer name", ErrInvalidAuthorizer)
	case (a.TokenKeyName == "") != (a.Token == ""):
		return "", fmt.Errorf("%w: token key name and token must be set together", ErrInvalidAuthorizer)
	case a.Signature != "" && a.Token == "":
		return "", fmt.Errorf("%w: a token signature needs a token", ErrInvalidAuthorizer)
	case strings.Contains(a.Username, "?"):
		return "", fmt.Errorf("%w: username contains ?", ErrInvalidAuthorizer)
	case a.TokenKeyName == AuthorizerNameParam || a.TokenKeyName == AuthorizerSignatureParam:
		return "", fmt.Errorf("%w: token key name collides with a reserved parameter", ErrInvalidAuthorizer)
	}
	var b strings.Builder
	b.WriteString(a.Username)
	b.WriteString("?" + AuthorizerNameParam + "=")
	b.WriteString(uriEncode(a.Name))
	if a.Signature != "" {
		b.WriteString("&" + AuthorizerSignatureParam + "=")
		b.WriteString(uriEncode(a.Signature))
	}
	if a.Token != "" {
		b.WriteByte('&')
		b.WriteString(uriEncode(a.TokenKeyName))
		b.WriteByte('=')
		b.WriteString(uriEncode(a.Token))
	}
	if b.Len() > maxMQTTString {
		return "", fmt.Errorf("%w: username longer than %d bytes", ErrInvalidAuthorizer, maxMQTTString)
	}
	return b.String(), nil
}

// String shows the authorizer's name, username and token key name, and
// redacts the signature and the token.
func (a CustomAuthorizer) String() string {
	return fmt.Sprintf("{Name:%s Signature:%s TokenKeyName:%s Token:%s Username:%s}",
		a.Name, redact(a.Signature), a.TokenKeyName, redact(a.Token), a.Username)
}

// GoString is String in Go syntax, for %#v.
func (a CustomAuthorizer) GoString() string {
	return fmt.Sprintf("awsiot.CustomAuthorizer{Name:%q, Signature:%q, TokenKeyName:%q, Token:%q, Username:%q}",
		a.Name, redact(a.Signature), a.TokenKeyName, redact(a.Token), a.Username)
}

// Format makes every fmt verb print String (GoString for %#v), so no verb
// reaches the secret fields.
func (a CustomAuthorizer) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, a.GoString())
		return
	}
	fmt.Fprint(f, a.String())
}

// LogValue makes log/slog print String whatever the handler: slog's JSON
// handler would otherwise marshal the signature and the token.
func (a CustomAuthorizer) LogValue() slog.Value { return slog.StringValue(a.String()) }
