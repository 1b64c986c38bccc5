// Package cli is what the tether examples share to read their settings:
// each setting is a command-line flag that defaults to an environment
// variable, and an adapter's *transport.ConfigError, which names a Config
// field, is reported with the flag and the variable that set it.
//
// It is example code, not part of tether's API.
package cli
