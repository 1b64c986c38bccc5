package awsiot

import (
	"fmt"
	"log/slog"
)

// Credentials are AWS credentials for SigV4 signing: a long-term access key,
// or temporary credentials from STS with their session token.
//
// Every way fmt and log/slog print a Credentials redacts the secret access
// key and the session token. encoding/json does not: do not marshal it.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // empty for long-term credentials
}

const redacted = "[REDACTED]"

// String shows the access key ID and redacts the secret and the session
// token.
func (c Credentials) String() string {
	return fmt.Sprintf("{AccessKeyID:%s SecretAccessKey:%s SessionToken:%s}",
		c.AccessKeyID, redact(c.SecretAccessKey), redact(c.SessionToken))
}

// GoString is String in Go syntax, for %#v.
func (c Credentials) GoString() string {
	return fmt.Sprintf("awsiot.Credentials{AccessKeyID:%q, SecretAccessKey:%q, SessionToken:%q}",
		c.AccessKeyID, redact(c.SecretAccessKey), redact(c.SessionToken))
}

// Format makes every fmt verb (%v, %+v, %s, %q, %x, %d, ...) print String,
// and %#v print GoString, so no verb reaches the secret fields.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue redacts the secret and the session token in log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("secret_access_key", redact(c.SecretAccessKey)),
		slog.String("session_token", redact(c.SessionToken)),
	)
}

// redact hides a secret but keeps whether it is set visible.
func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// validate reports missing fields without naming any value.
func (c Credentials) validate() error {
	switch {
	case c.AccessKeyID == "":
		return fmt.Errorf("%w: empty access key ID", ErrMissingCredentials)
	case c.SecretAccessKey == "":
		return fmt.Errorf("%w: empty secret access key", ErrMissingCredentials)
	}
	return nil
}
