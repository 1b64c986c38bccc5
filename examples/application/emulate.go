package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/examples/internal/scenario"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// The emulated fleet: every device is in group floor-1; sensor-3 connects
// late, sensor-4 never.
const (
	emulatedGroup = "floor-1"
	lateDevice    = "sensor-3"
	lateBy        = 500 * time.Millisecond
)

var (
	onlineDevices   = []string{"sensor-1", "sensor-2"}
	expectedDevices = []string{"sensor-1", "sensor-2", "sensor-3", "sensor-4"}
)

// emulate runs the application against an in-process AWS IoT Core
// emulator, with emulated devices running the examples' firmware.
func emulate(ctx context.Context, cfg config, con *cli.Console) error {
	start := time.Now()
	emu, err := awsiottest.Start()
	if err != nil {
		return err
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "application-emulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	con.Printf("emulator", "AWS IoT Core emulator on %s", emu.Address())

	fleet := &fleet{emu: emu, con: con, reboots: map[string]*atomic.Int32{}}
	defer fleet.stop()
	for _, name := range onlineDevices {
		if err := fleet.start(ctx, name); err != nil {
			return err
		}
	}
	lateCtx, cancelLate := context.WithCancel(ctx)
	lateErr := make(chan error, 1)
	go func() {
		select {
		case <-time.After(lateBy):
			lateErr <- fleet.start(lateCtx, lateDevice)
		case <-lateCtx.Done():
			lateErr <- nil
		}
	}()
	lateDone := false
	defer func() {
		if !lateDone { // the scenario failed: do not leave the late device starting
			cancelLate()
			<-lateErr
		}
	}()

	// The application: the same connection code as against AWS, pointed
	// at the emulator, with short attempts so that the scenario is quick.
	if err := cfg.conn.UseEmulator(emu, dir); err != nil {
		return err
	}
	if cfg.certFile, cfg.keyFile, err = emu.WriteCertificateFiles(dir, cfg.thing); err != nil {
		return err
	}
	cfg.attempts, cfg.attemptTimeout = 10, 300*time.Millisecond
	a, err := connect(ctx, cfg, con)
	if err != nil {
		return err
	}
	defer a.Close()

	if err := playScenario(ctx, a, fleet); err != nil {
		return err
	}
	lateDone = true
	if err := <-lateErr; err != nil {
		return err
	}
	scenario.Hold(ctx, start, cfg.duration)
	con.Printf("emulator", "scenario complete")
	return nil
}

// playScenario sends the scenario's commands and checks their outcome.
func playScenario(ctx context.Context, a *app, fleet *fleet) error {
	a.logf("--- a command, answered")
	if err := a.invoke(ctx, "sensor-1", "sensor.read", `{"id":"temp-1"}`, ""); err != nil {
		return err
	}

	a.logf("--- a command to %s, which is not connected yet: retried with the same TID", lateDevice)
	if err := a.invoke(ctx, lateDevice, "sensor.list", "", ""); err != nil {
		return err
	}

	a.logf("--- a reboot, then the same transaction again (the application restarted): it runs once")
	const tid = "reboot-sensor-2-0001"
	for range 2 {
		if err := a.invoke(ctx, "sensor-2", "reboot", "", tid); err != nil {
			return err
		}
	}
	if n := fleet.rebootCount("sensor-2"); n != 1 {
		return fmt.Errorf("sensor-2 rebooted %d times, want 1", n)
	}
	a.logf("sensor-2 rebooted once")

	a.logf("--- a command the device does not know")
	err := a.invoke(ctx, "sensor-1", "firmware.update", "", "")
	if !errors.Is(err, command.ErrUnknownMethod) {
		return fmt.Errorf("firmware.update: %v, want a 404", err)
	}

	a.logf("--- one command to group %s, expecting %v", emulatedGroup, expectedDevices)
	gctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err = a.invokeGroup(gctx, emulatedGroup, "sensor.list", "", expectedDevices, "")
	if err == nil || err.Error() != "group floor-1: 0 failed, 1 did not answer" {
		return fmt.Errorf("group: %v, want sensor-4 missing", err)
	}
	return nil
}

// fleet runs emulated devices.
type fleet struct {
	emu *awsiottest.Emulator
	con *cli.Console

	mu      sync.Mutex
	stops   []func()
	reboots map[string]*atomic.Int32
}

// start connects a device that serves the firmware's commands, its own
// and those sent to emulatedGroup.
func (f *fleet) start(ctx context.Context, name string) error {
	tr, err := awsiot.New(f.emu.DeviceConfig(name))
	if err != nil {
		return err
	}
	if err := tr.Connect(ctx); err != nil {
		return errors.Join(err, tr.Close(context.Background()))
	}
	reboots := &atomic.Int32{}
	logf := f.con.Logf(name)
	fw := firmware.New(name, firmware.Options{
		Logf: logf,
		OnReboot: func() {
			reboots.Add(1)
			logf("(emulated: a real device restarts now)")
		},
	})
	dev, err := command.NewDevice(ctx, tr, fw.Router(), command.WithGroups(emulatedGroup))
	if err != nil {
		return errors.Join(err, tr.Close(context.Background()))
	}
	logf("connected, serving its commands and group %s's", emulatedGroup)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reboots[name] = reboots
	f.stops = append(f.stops, func() {
		sctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		_ = dev.Shutdown(sctx)
		_ = tr.Close(sctx)
	})
	return nil
}

// rebootCount returns how many times a device ran the reboot command.
func (f *fleet) rebootCount(name string) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.reboots[name]; r != nil {
		return r.Load()
	}
	return 0
}

// stop disconnects every device.
func (f *fleet) stop() {
	f.mu.Lock()
	stops := f.stops
	f.stops = nil
	f.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}
