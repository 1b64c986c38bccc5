package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/examples/internal/scenario"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// emulatedInterval is the desired telemetry interval the emulated cloud
// sets, in milliseconds.
const emulatedInterval = 250

// emulate runs the device against an in-process AWS IoT Core emulator and
// plays the cloud's side: the console changes the desired state, an
// application invokes commands. The device's configuration goes through
// the same code as on a real account, pointed at the emulator.
func emulate(ctx context.Context, cfg config, con *cli.Console) error {
	start := time.Now()
	if cfg.duration == 0 {
		cfg.duration = defaultEmulateDuration
	}
	emu, err := awsiottest.Start()
	if err != nil {
		return err
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "aws-device-emulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The emulator's endpoint and CA, and a certificate it issued, written
	// to files as a real device keeps them.
	if err := cfg.conn.UseEmulator(emu, dir); err != nil {
		return err
	}
	if cfg.conn.Auth == awscli.AuthX509 {
		if cfg.certFile, cfg.keyFile, err = emu.WriteCertificateFiles(dir, cfg.thing); err != nil {
			return err
		}
	}
	if cfg.stateDir == "" {
		cfg.stateDir = filepath.Join(dir, "state")
	}
	con.Printf("emulator", "AWS IoT Core emulator on %s; device %q", emu.Address(), cfg.thing)

	devCtx, stopDevice := context.WithCancel(ctx)
	defer stopDevice()
	deviceDone := make(chan error, 1)
	go func() { deviceDone <- supervise(devCtx, cfg, con) }()
	cloudDone := make(chan error, 1)
	go func() { cloudDone <- playCloud(devCtx, emu, cfg.thing, con) }()

	select {
	case err := <-deviceDone:
		return fmt.Errorf("the device stopped during the scenario: %w", err)
	case err := <-cloudDone:
		if err != nil {
			return err
		}
	}
	scenario.Hold(ctx, start, cfg.duration)
	stopDevice()
	if err := <-deviceDone; err != nil {
		return err
	}
	con.Printf("cloud", "received %d telemetry messages from %s", len(telemetry(emu, cfg.thing)), cfg.thing)
	con.Printf("emulator", "scenario complete")
	return nil
}

// supervise runs the device and restarts it after a reboot, as systemd
// would, until ctx ends.
func supervise(ctx context.Context, cfg config, con *cli.Console) error {
	for {
		err := runDevice(ctx, cfg, con)
		if !errors.Is(err, errRebooted) || ctx.Err() != nil {
			return err
		}
		con.Printf("emulator", "the device exited for a reboot; its supervisor starts it again")
	}
}

// telemetry returns the telemetry the cloud received from thing.
func telemetry(emu *awsiottest.Emulator, thing string) []string {
	var out []string
	for _, m := range emu.Received(thing) {
		if m.Topic == thing+"/"+firmware.TelemetryTopic {
			out = append(out, string(m.Payload))
		}
	}
	return out
}

// reported returns a member of the shadow's reported state, as text.
func reported(emu *awsiottest.Emulator, thing, key string) string {
	doc, ok := emu.ShadowDocument(thing, "")
	if !ok || doc.State.Reported[key] == nil {
		return ""
	}
	return fmt.Sprint(doc.State.Reported[key])
}

// playCloud is the cloud's side of the scenario.
func playCloud(ctx context.Context, emu *awsiottest.Emulator, thing string, con *cli.Console) error {
	cloud, app := con.Logf("cloud"), con.Logf("app")
	if err := emu.WaitConnected(ctx, thing); err != nil {
		return err
	}
	if err := scenario.WaitFor(ctx, "telemetry", func() bool { return len(telemetry(emu, thing)) > 0 }); err != nil {
		return err
	}
	cloud("telemetry on %s/%s: %s", thing, firmware.TelemetryTopic, telemetry(emu, thing)[0])
	if err := scenario.WaitFor(ctx, "the reported state", func() bool { return reported(emu, thing, "bootId") != "" }); err != nil {
		return err
	}
	firstBoot := reported(emu, thing, "bootId")
	cloud("shadow reported: firmware %s, bootId %s, %s %s", reported(emu, thing, "firmware"), firstBoot,
		firmware.IntervalKey, reported(emu, thing, firmware.IntervalKey))

	// The console (or a fleet application) sets a desired state.
	cloud("desired %s=%d", firmware.IntervalKey, emulatedInterval)
	if err := emu.SetDesired(thing, "", map[string]any{firmware.IntervalKey: emulatedInterval}); err != nil {
		return err
	}
	want := fmt.Sprint(emulatedInterval)
	if err := scenario.WaitFor(ctx, "the desired interval reported", func() bool { return reported(emu, thing, firmware.IntervalKey) == want }); err != nil {
		return err
	}
	cloud("shadow reported %s=%s: desired and reported agree", firmware.IntervalKey, want)

	// An application invokes commands (see examples/application).
	appTr, err := awsiot.New(emu.DeviceConfig("app-1"))
	if err != nil {
		return err
	}
	defer appTr.Close(context.Background())
	if err := appTr.Connect(ctx); err != nil {
		return err
	}
	inv := command.NewInvoker(appTr, command.InvokerConfig{Sender: "app-1", AttemptTimeout: 500 * time.Millisecond, Attempts: 10})
	defer inv.Close(context.Background())

	res, err := inv.Invoke(ctx, thing, "sensor.list", nil)
	if err != nil {
		return err
	}
	app("sensor.list → %d %s", res.Status, res.Payload)

	const tid = "reboot-0001"
	res, err = inv.Invoke(ctx, thing, "reboot", nil, command.WithTID(tid))
	if err != nil {
		return err
	}
	app("reboot (tid %s) → %d %s", tid, res.Status, res.Payload)
	if err := scenario.WaitFor(ctx, "the device back after its reboot", func() bool {
		b := reported(emu, thing, "bootId")
		return b != "" && b != firstBoot
	}); err != nil {
		return err
	}
	cloud("shadow reported a new bootId %s: the device rebooted", reported(emu, thing, "bootId"))

	// A retry of the same transaction (the application restarted, or
	// missed the answer) does not reboot the device again: the device
	// answers from its memory of completed commands, kept on disk.
	again, err := inv.Invoke(ctx, thing, "reboot", nil, command.WithTID(tid))
	if err != nil {
		return err
	}
	app("reboot (tid %s) again → %d %s", tid, again.Status, again.Payload)
	if !strings.Contains(string(again.Payload), firstBoot) {
		return fmt.Errorf("the retried reboot ran again: %s", again.Payload)
	}
	app("same answer, from boot %s: the reboot ran once", firstBoot)
	return nil
}
