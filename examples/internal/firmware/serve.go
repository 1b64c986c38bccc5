package firmware

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/cli"
)

// ServeCommands serves h on tr (command.NewDevice with opts) until the
// returned stop. With a non-empty stateDir the completed transactions are
// kept on disk in stateDir/commands, so that a command redelivered or retried after a
// reboot is answered from there instead of running again; a failure to open
// it is a *cli.SettingError naming dirSetting. stop answers the commands in
// progress, then closes the store.
func ServeCommands(ctx context.Context, tr command.DeviceTransport, h command.Handler,
	stateDir string, dirSetting cli.Setting, opts ...command.Option) (stop func(context.Context) error, err error) {
	closeStore := func() error { return nil }
	if stateDir != "" {
		store, err := command.OpenFileStore(filepath.Join(stateDir, "commands"))
		if err != nil {
			return nil, &cli.SettingError{Setting: dirSetting, Reason: err.Error(), Err: err}
		}
		closeStore = store.Close
		opts = append(opts, command.WithDedupStore(store))
	}
	dev, err := command.NewDevice(ctx, tr, h, opts...)
	if err != nil {
		return nil, errors.Join(err, closeStore())
	}
	return func(ctx context.Context) error {
		err := dev.Shutdown(ctx)
		return errors.Join(err, closeStore())
	}, nil
}
