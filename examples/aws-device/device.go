package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/shadow"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
)

// errRebooted ends runDevice when a reboot command asked for one.
var errRebooted = errors.New("reboot requested")

// shutdownTimeout bounds the orderly shutdown: answering the commands in
// progress, closing the shadow client and the connection.
const shutdownTimeout = 5 * time.Second

// runDevice connects and runs the device until ctx ends (nil) or a reboot
// command asks for a restart (errRebooted).
func runDevice(ctx context.Context, cfg config, con *cli.Console) (err error) {
	logf := con.Logf("device")
	ac, err := cfg.conn.Config(cfg.thing, cfg.certFile, cfg.keyFile)
	if err != nil {
		return err
	}
	if cfg.stateDir != "" {
		// A durable outbox: telemetry not yet acknowledged survives a
		// crash or a power cut and is sent by the next boot.
		ac.Outbox.Dir = filepath.Join(cfg.stateDir, "outbox")
	}
	// New validates the configuration (and reads the certificate files):
	// a mistake comes back as a *transport.ConfigError naming the field,
	// which Explain turns into the flag and variable that set it.
	tr, err := awsiot.New(ac)
	if err != nil {
		return settings.Explain(err)
	}
	var closers []func(context.Context) error // run in reverse on the way out
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			err = errors.Join(err, closers[i](sctx))
		}
	}()
	closers = append(closers, tr.Close)
	if err := cfg.conn.CheckCredentials(); err != nil {
		return err
	}

	stop := tr.Watch(func(ev transport.Event) {
		switch ev.Kind {
		case transport.EventConnectFailed, transport.EventConnectionLost:
			logf("%s: %v (next attempt in %v)", ev.Kind, ev.Err, ev.Delay.Round(time.Millisecond))
		case transport.EventConnected:
			logf("connected")
		}
	})
	defer stop()
	logf("connecting to %s as thing %q over %s", ac.Endpoint, ac.ThingName, awscli.Describe(ac))
	if err := tr.Connect(ctx); err != nil {
		return fmt.Errorf("connecting: %w", err)
	}

	ctx, reboot := context.WithCancelCause(ctx)
	defer reboot(nil)
	fw := firmware.New(cfg.thing, firmware.Options{
		Interval: cfg.interval,
		Logf:     logf,
		OnReboot: func() { reboot(errRebooted) },
	})

	// Commands first, so that the device answers once its state says it
	// is up. AWS replays QoS 1 messages of a persistent session and
	// applications retry: with -state-dir a reboot redelivered after the
	// reboot is answered from disk instead of rebooting again.
	stopCommands, err := firmware.ServeCommands(ctx, tr, fw.Router(), cfg.stateDir, setStateDir)
	if err != nil {
		return err
	}
	closers = append(closers, stopCommands) // answers the commands in progress first

	// The Device Shadow: report the state first, then apply the desired
	// state. OnDelta also hands over what changed while the device was
	// offline (the client GETs the shadow after every reconnect).
	sh, err := shadow.New(ctx, tr)
	if err != nil {
		return err
	}
	closers = append(closers, sh.Close)
	if _, err := sh.UpdateReported(ctx, fw.Reported()); err != nil {
		logf("reporting the state: %v", err)
	}
	sh.OnDelta(func(ctx context.Context, d shadow.Delta) {
		if report := fw.ApplyDesired(d.State); report != nil {
			if _, err := sh.UpdateReported(ctx, report); err != nil {
				logf("reporting %v: %v", report, err)
			}
		}
	})

	logf("running: telemetry every %v, commands sensor.list, sensor.read, reboot", fw.Interval())
	if err := fw.RunTelemetry(ctx, tr); err != nil {
		return err
	}
	if errors.Is(context.Cause(ctx), errRebooted) {
		return errRebooted
	}
	return nil
}
