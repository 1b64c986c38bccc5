package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/examples/internal/scenario"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// emulate runs the gateway against an in-process AWS IoT Core emulator:
// the leaves connect in their turn, an application sends one command to
// the gateway's group and every leaf answers.
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
	dir, err := os.MkdirTemp("", "gateway-emulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	con.Printf("emulator", "AWS IoT Core emulator on %s", emu.Address())

	// The emulator's endpoint and CA, and a certificate per leaf in
	// -cert-dir, named as the gateway expects.
	if err := cfg.conn.UseEmulator(emu, dir); err != nil {
		return err
	}
	names := leafNames(cfg)
	if cfg.conn.Auth == awscli.AuthX509 {
		cfg.certDir = filepath.Join(dir, "certs")
		if err := writeLeafCertificates(emu, cfg, names); err != nil {
			return err
		}
	}

	gwCtx, stopGateway := context.WithCancel(ctx)
	defer stopGateway()
	gatewayDone := make(chan error, 1)
	go func() { gatewayDone <- runGateway(gwCtx, cfg, con) }()
	cloudDone := make(chan error, 1)
	go func() { cloudDone <- playCloud(gwCtx, emu, cfg, names, con) }()
	select {
	case err := <-gatewayDone:
		return fmt.Errorf("the gateway stopped during the scenario: %w", err)
	case err := <-cloudDone:
		if err != nil {
			return err
		}
	}
	scenario.Hold(ctx, start, cfg.duration)
	stopGateway()
	if err := <-gatewayDone; err != nil {
		return err
	}
	for _, name := range names {
		n := 0
		for _, m := range emu.Received(name) {
			if m.Topic == name+"/"+firmware.TelemetryTopic {
				n++
			}
		}
		con.Printf("cloud", "received %d telemetry messages from %s", n, name)
	}
	con.Printf("emulator", "scenario complete")
	return nil
}

// writeLeafCertificates issues each leaf's certificate and writes it where
// the gateway reads it.
func writeLeafCertificates(emu *awsiottest.Emulator, cfg config, names []string) error {
	if err := os.MkdirAll(cfg.certDir, 0o700); err != nil {
		return err
	}
	for _, name := range names {
		c, k, err := emu.WriteCertificateFiles(cfg.certDir, name)
		if err != nil {
			return err
		}
		certFile, keyFile := certFiles(cfg, name)
		if err := os.Rename(c, certFile); err != nil {
			return err
		}
		if err := os.Rename(k, keyFile); err != nil {
			return err
		}
	}
	return nil
}

// playCloud waits for every leaf and sends one command to their group.
func playCloud(ctx context.Context, emu *awsiottest.Emulator, cfg config, names []string, con *cli.Console) error {
	app := con.Logf("app")
	for _, name := range names {
		if err := emu.WaitConnected(ctx, name); err != nil {
			return err
		}
	}
	appTr, err := awsiot.New(emu.DeviceConfig("app-1"))
	if err != nil {
		return err
	}
	defer appTr.Close(context.Background())
	if err := appTr.Connect(ctx); err != nil {
		return err
	}
	inv := command.NewInvoker(appTr, command.InvokerConfig{Sender: "app-1", AttemptTimeout: 300 * time.Millisecond, Attempts: 10})
	defer inv.Close(context.Background())

	// A leaf that is not subscribed yet misses the first publish: the
	// Invoker publishes again, with the same TID, while one is silent.
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := inv.InvokeGroup(gctx, cfg.group, "sensor.list", nil, names)
	if err != nil {
		return err
	}
	app("group %s sensor.list (tid %s): %d of %d leaves answered", cfg.group, res.TID, len(res.Answers), len(names))
	if len(res.Missing) > 0 {
		return fmt.Errorf("no answer from %v", res.Missing)
	}
	return nil
}
