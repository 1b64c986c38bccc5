package mqttx

import (
	"fmt"
	"log/slog"
	"strings"
)

// redacted replaces a password wherever Credentials and Options are
// printed.
const redacted = "[REDACTED]"

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// String shows the user name and redacts the password.
func (c Credentials) String() string {
	return "{Username:" + c.Username + " Password:" + redact(c.Password) + "}"
}

// GoString is String in Go syntax, for %#v.
func (c Credentials) GoString() string {
	return fmt.Sprintf("mqttx.Credentials{Username:%q, Password:%q}", c.Username, redact(c.Password))
}

// Format makes every fmt verb print String (GoString for %#v), so that no
// verb reaches the password.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue redacts the password in log/slog output, whatever the handler.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", redact(c.Password)))
}

// String describes o without its password (and without the user
// information and query of Server).
func (o Options) String() string {
	var b strings.Builder
	b.WriteString("mqttx.Options{")
	n := b.Len()
	field := func(name, v string) {
		if v == "" {
			return
		}
		if b.Len() > n {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	if o.Server != "" {
		field("Server", redactURL(o.Server))
	}
	field("ClientID", o.ClientID)
	field("Username", o.Username)
	field("Password", redact(o.Password))
	set := func(name string, isSet bool) {
		if isSet {
			field(name, "set")
		}
	}
	set("Credentials", o.Credentials != nil)
	set("TLSConfig", o.TLSConfig != nil)
	set("Dial", o.Dial != nil)
	if o.PersistentSession {
		field("PersistentSession", "true")
	}
	if o.Will != nil {
		field("Will", o.Will.Topic)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString is String, so that %#v does not print the password either.
func (o Options) GoString() string { return o.String() }

// Format makes every fmt verb print String, so that no verb reaches the
// password.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// LogValue makes log/slog print the redacted form.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
