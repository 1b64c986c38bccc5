package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tether-iot/tether/transport"
)

// Setting is one setting of an example: a flag, the environment variable
// it defaults to, and the adapter Config fields it fills.
type Setting struct {
	Flag   string   // the flag's name without "-", or "" for an environment variable only
	Env    string   // the environment variable, or ""
	Fields []string // the adapter Config fields it sets ("CertFile"), if any
}

// Name is how a message names the setting: "-cert (or $AWS_IOT_CERT)".
func (s Setting) Name() string {
	switch {
	case s.Flag != "" && s.Env != "":
		return "-" + s.Flag + " (or $" + s.Env + ")"
	case s.Flag != "":
		return "-" + s.Flag
	default:
		return "$" + s.Env
	}
}

// SettingError reports a setting that is missing or wrong, by its flag and
// environment variable. It unwraps to the cause, so errors.As still finds a
// *transport.ConfigError.
type SettingError struct {
	Setting Setting
	Reason  string // what is wrong, cause included
	Err     error  // the cause, for errors.Is and errors.As; may be nil
}

// Error names the setting first, the way a user fixes it.
func (e *SettingError) Error() string { return e.Setting.Name() + ": " + e.Reason }

// Unwrap returns the cause.
func (e *SettingError) Unwrap() error { return e.Err }

// Settings are an example's settings, for Explain.
type Settings []Setting

// Explain returns err with the flag and environment variable named when
// err is a *transport.ConfigError about a Config field one of the settings
// fills. Other errors are returned as they are.
func (ss Settings) Explain(err error) error {
	var ce *transport.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	for _, s := range ss {
		for _, f := range s.Fields {
			if f == ce.Setting {
				return &SettingError{Setting: s, Reason: reason(ce), Err: err}
			}
		}
	}
	return err
}

// reason is the ConfigError's message without the "transport: config"
// prefix, which the setting's name replaces: it keeps the Config field's
// name for those who read the adapter's documentation.
func reason(ce *transport.ConfigError) string {
	msg := ce.Reason
	if ce.Err != nil {
		msg += ": " + ce.Err.Error()
	}
	return fmt.Sprintf("%s (Config.%s)", strings.TrimSpace(msg), ce.Setting)
}
