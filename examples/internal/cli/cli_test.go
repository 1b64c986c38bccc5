package cli

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tether-iot/tether/transport"
)

// TestExplain checks that a ConfigError about a known field is named by
// its flag and variable and still matches the original, and that other
// errors are returned unchanged.
func TestExplain(t *testing.T) {
	cert := Setting{Flag: "cert", Env: "X_CERT", Fields: []string{"CertFile"}}
	ss := Settings{cert}
	cause := errors.New("open c.pem: no such file")
	ce := &transport.ConfigError{Setting: "CertFile", Reason: "cannot read", Err: cause}

	err := ss.Explain(ce)
	const want = "-cert (or $X_CERT): cannot read: open c.pem: no such file (Config.CertFile)"
	if err.Error() != want {
		t.Errorf("Explain = %q, want %q", err, want)
	}
	var got *transport.ConfigError
	if !errors.As(err, &got) || got != ce || !errors.Is(err, cause) || !errors.Is(err, transport.ErrInvalidConfig) {
		t.Errorf("Explain(%v) lost the original error", ce)
	}

	other := &transport.ConfigError{Setting: "KeepAlive", Reason: "too long"}
	if err := ss.Explain(other); err != other {
		t.Errorf("unknown field: Explain = %v, want the error unchanged", err)
	}
	plain := errors.New("plain")
	if err := ss.Explain(plain); err != plain {
		t.Errorf("not a ConfigError: Explain = %v, want it unchanged", err)
	}
}

// TestSettingName checks how messages name settings.
func TestSettingName(t *testing.T) {
	for _, tt := range []struct {
		s    Setting
		want string
	}{
		{Setting{Flag: "cert", Env: "X_CERT"}, "-cert (or $X_CERT)"},
		{Setting{Flag: "tid"}, "-tid"},
		{Setting{Env: "AWS_ACCESS_KEY_ID"}, "$AWS_ACCESS_KEY_ID"},
	} {
		if got := tt.s.Name(); got != tt.want {
			t.Errorf("Name() = %q, want %q", got, tt.want)
		}
	}
}

// TestFlagSetPrecedence checks that a flag wins over its variable, which
// wins over the default, for each kind of setting.
func TestFlagSetPrecedence(t *testing.T) {
	vars := map[string]string{"S": "env", "I": "7", "D": "3s", "B": "true"}
	getenv := func(k string) string { return vars[k] }
	var (
		s    string
		i    int
		d    time.Duration
		b    bool
		none string
	)
	fs := NewFlagSet("t", io.Discard, getenv)
	fs.String(&s, Setting{Flag: "s", Env: "S"}, "def", "")
	fs.Int(&i, Setting{Flag: "i", Env: "I"}, 1, "")
	fs.Duration(&d, Setting{Flag: "d", Env: "D"}, time.Second, "")
	fs.Bool(&b, Setting{Flag: "b", Env: "B"}, false, "")
	fs.String(&none, Setting{Flag: "none", Env: "UNSET"}, "def", "")
	if err := fs.Parse([]string{"-s", "flag"}); err != nil {
		t.Fatal(err)
	}
	if s != "flag" || i != 7 || d != 3*time.Second || !b || none != "def" {
		t.Errorf("got s=%q i=%d d=%v b=%v none=%q", s, i, d, b, none)
	}
}
