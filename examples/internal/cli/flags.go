package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

// FlagSet is a flag.FlagSet whose flags default to environment variables:
// a flag on the command line wins over its variable, which wins over the
// built-in default.
type FlagSet struct {
	*flag.FlagSet
	getenv func(string) string
	errs   map[string]error // by flag: environment variables that do not parse
}

// NewFlagSet returns a FlagSet that reports errors to errOut and reads
// the environment with getenv (os.Getenv, or a map in tests).
func NewFlagSet(name string, errOut io.Writer, getenv func(string) string) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	return &FlagSet{FlagSet: fs, getenv: getenv, errs: map[string]error{}}
}

// Getenv reads an environment variable as the FlagSet does, for settings
// that are never flags (secrets).
func (f *FlagSet) Getenv(name string) string { return f.getenv(name) }

// usage appends the environment variable to a flag's help text.
func usage(s Setting, text string) string {
	if s.Env == "" {
		return text
	}
	return text + " (env " + s.Env + ")"
}

// env returns the setting's environment variable, if set.
func (f *FlagSet) env(s Setting) (string, bool) {
	if s.Env == "" {
		return "", false
	}
	v := f.getenv(s.Env)
	return v, v != ""
}

// String defines a string setting.
func (f *FlagSet) String(p *string, s Setting, def, text string) {
	if v, ok := f.env(s); ok {
		def = v
	}
	f.StringVar(p, s.Flag, def, usage(s, text))
}

// Int defines an integer setting.
func (f *FlagSet) Int(p *int, s Setting, def int, text string) {
	if v, ok := f.env(s); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs[s.Flag] = &SettingError{Setting: s, Reason: fmt.Sprintf("$%s=%q is not a number", s.Env, v), Err: err}
		} else {
			def = n
		}
	}
	f.IntVar(p, s.Flag, def, usage(s, text))
}

// Duration defines a duration setting ("10s", "1m").
func (f *FlagSet) Duration(p *time.Duration, s Setting, def time.Duration, text string) {
	if v, ok := f.env(s); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs[s.Flag] = &SettingError{Setting: s, Reason: fmt.Sprintf("$%s=%q is not a duration", s.Env, v), Err: err}
		} else {
			def = d
		}
	}
	f.DurationVar(p, s.Flag, def, usage(s, text))
}

// Bool defines a boolean setting; its variable is "true" or "false"
// (or 1, 0, as strconv.ParseBool reads them).
func (f *FlagSet) Bool(p *bool, s Setting, def bool, text string) {
	if v, ok := f.env(s); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs[s.Flag] = &SettingError{Setting: s, Reason: fmt.Sprintf("$%s=%q is not true or false", s.Env, v), Err: err}
		} else {
			def = b
		}
	}
	f.BoolVar(p, s.Flag, def, usage(s, text))
}

// Parse parses args. An environment variable that does not parse is an
// error too, reported like a bad flag, unless the flag was given.
func (f *FlagSet) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err
	}
	f.Visit(func(fl *flag.Flag) { delete(f.errs, fl.Name) })
	var first error
	f.VisitAll(func(fl *flag.Flag) {
		if err := f.errs[fl.Name]; err != nil && first == nil {
			first = err
		}
	})
	if first != nil {
		fmt.Fprintln(f.Output(), first)
	}
	return first
}
