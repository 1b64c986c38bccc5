//go:build tether_noemulator

package main

import (
	"context"
	"errors"
	"io"
)

// emulate is unavailable in a build without the emulators (the
// production build the binary-size budget measures).
func emulate(context.Context, config, io.Writer) error {
	return errors.New("-emulate: this build has no emulators (built with -tags tether_noemulator)")
}
