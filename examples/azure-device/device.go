package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/twin"
)

// errRebooted ends runDevice when a reboot command asked for one.
var errRebooted = errors.New("reboot requested")

// shutdownTimeout bounds the orderly shutdown: answering the commands in
// progress, closing the twin client and the connection.
const shutdownTimeout = 5 * time.Second

// azureConfig turns the settings into the adapter's configuration. roots,
// when not nil, replaces -ca (-emulate trusts the emulator's CA).
func azureConfig(cfg config, roots *x509.CertPool) (azureiot.Config, error) {
	if cfg.connString == "" && cfg.host == "" {
		return azureiot.Config{}, &cli.SettingError{Setting: setConnString,
			Reason: "required: the device's connection string, or -host, -device-id, -cert and -key for X.509"}
	}
	if cfg.connString == "" && cfg.certFile == "" && cfg.keyFile == "" {
		return azureiot.Config{}, &cli.SettingError{Setting: setCert,
			Reason: "required with -host: the device's X.509 certificate (with -key), or use a connection string"}
	}
	ac := azureiot.Config{
		ConnectionString: cfg.connString,
		HostName:         cfg.host,
		DeviceID:         cfg.deviceID,
		CertFile:         cfg.certFile,
		KeyFile:          cfg.keyFile,
		WebSocket:        cfg.webSocket,
		Server:           cfg.server,
		RootCAs:          roots,
		Logger:           cfg.logger,
	}
	if roots == nil && cfg.caFile != "" {
		pem, err := os.ReadFile(cfg.caFile)
		if err != nil {
			return ac, &cli.SettingError{Setting: setCA, Reason: err.Error(), Err: err}
		}
		ac.RootCAs = x509.NewCertPool()
		if !ac.RootCAs.AppendCertsFromPEM(pem) {
			return ac, &cli.SettingError{Setting: setCA, Reason: "no PEM certificate in " + cfg.caFile}
		}
	}
	if cfg.stateDir != "" {
		// A durable outbox: telemetry not yet acknowledged survives a
		// crash or a power cut and is sent by the next boot.
		ac.Outbox.Dir = filepath.Join(cfg.stateDir, "outbox")
	}
	return ac, nil
}

// describe says where and how a configuration connects, for the log. The
// connection string is valid here (New parsed it); its String hides the key.
func describe(ac azureiot.Config) string {
	host, auth := ac.HostName, "SAS token"
	if cs, err := azureiot.ParseConnectionString(ac.ConnectionString); err == nil {
		host = cs.HostName
		if cs.X509 {
			auth = "X.509"
		}
	}
	if ac.CertFile != "" {
		auth = "X.509"
	}
	if ac.WebSocket {
		return host + " over MQTT over WebSocket (wss, port 443, " + auth + ")"
	}
	return host + " over MQTT over TLS (port 8883, " + auth + ")"
}

// runDevice connects and runs the device until ctx ends (nil) or a reboot
// command asks for a restart (errRebooted).
func runDevice(ctx context.Context, cfg config, roots *x509.CertPool, con *cli.Console) (err error) {
	logf := con.Logf("device")
	ac, err := azureConfig(cfg, roots)
	if err != nil {
		return err
	}
	// New validates the configuration (parses the connection string, reads
	// the certificate files): a mistake comes back as a
	// *transport.ConfigError naming the field, which Explain turns into
	// the flag and variable that set it.
	tr, err := azureiot.New(ac)
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

	stop := tr.Watch(func(ev transport.Event) {
		switch ev.Kind {
		case transport.EventConnectFailed, transport.EventConnectionLost:
			logf("%s: %v (next attempt in %v)", ev.Kind, ev.Err, ev.Delay.Round(time.Millisecond))
		case transport.EventConnected:
			logf("connected")
		}
	})
	defer stop()
	info := tr.Info()
	logf("connecting to %s as device %q", describe(ac), info.DeviceID)
	if err := tr.Connect(ctx); err != nil {
		return fmt.Errorf("connecting: %w", err)
	}

	ctx, reboot := context.WithCancelCause(ctx)
	defer reboot(nil)
	fw := firmware.New(info.DeviceID, firmware.Options{
		Interval: cfg.interval,
		Logf:     logf,
		OnReboot: func() { reboot(errRebooted) },
	})

	// Direct methods first, so that the device answers once its twin says
	// it is up. IoT Hub never retries a method, but applications do: a
	// method whose payload is a command envelope with a "tid" runs once,
	// and with -state-dir that memory survives the reboot.
	stopCommands, err := firmware.ServeCommands(ctx, tr, fw.Router(), cfg.stateDir, setStateDir)
	if err != nil {
		return err
	}
	closers = append(closers, stopCommands) // answers the methods in progress first

	// The device twin: report the state, then apply the desired
	// properties. The handler first gets all of them, then each patch;
	// after a reconnect, what changed while the device was offline.
	tw, err := twin.New(tr)
	if err != nil {
		return err
	}
	closers = append(closers, func(context.Context) error { return tw.Close() })
	if _, err := tw.UpdateReported(ctx, fw.Reported()); err != nil {
		logf("reporting the state: %v", err)
	}
	tw.OnDesiredPatch(func(ctx context.Context, p twin.DesiredPatch) {
		if report := fw.ApplyDesired(p.Patch); report != nil {
			if _, err := tw.UpdateReported(ctx, report); err != nil {
				logf("reporting %v: %v", report, err)
			}
		}
	})

	logf("running: telemetry every %v, methods sensor.list, sensor.read, reboot", fw.Interval())
	if err := fw.RunTelemetry(ctx, tr); err != nil {
		return err
	}
	if errors.Is(context.Cause(ctx), errRebooted) {
		return errRebooted
	}
	return nil
}
