package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/examples/internal/scenario"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// emulatedInterval is the desired telemetry interval the emulated cloud
// sets, in milliseconds.
const emulatedInterval = 250

// methodTimeout is the emulated application's direct-method timeout.
const methodTimeout = 5 * time.Second

// emulate runs the device against an in-process IoT Hub emulator and plays
// the cloud's side: an application changes the desired properties and
// invokes direct methods. The device's configuration goes through the same
// code as on a real hub, pointed at the emulator.
func emulate(ctx context.Context, cfg config, con *cli.Console) error {
	start := time.Now()
	if cfg.duration == 0 {
		cfg.duration = defaultEmulateDuration
	}
	hub, err := azureiottest.Start()
	if err != nil {
		return err
	}
	defer hub.Close()
	dir, err := os.MkdirTemp("", "azure-device-emulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Register the device, and configure it as on a real hub: a connection
	// string, or a certificate in files; only the address and the CA are
	// the emulator's.
	id := emulatedDevice
	if cfg.x509 {
		reg := hub.AddX509Device(id)
		cfg.connString = "" // keep the flags' X.509 path: -host, -device-id, -cert, -key
		cfg.host, cfg.deviceID = hub.HostName(), id
		if cfg.certFile, cfg.keyFile, err = writeCertificate(dir, reg.Certificate); err != nil {
			return err
		}
	} else {
		hub.AddDevice(id)
		if cfg.connString, err = hub.ConnectionString(id); err != nil {
			return err
		}
	}
	cfg.server = hub.URL()
	if cfg.webSocket {
		cfg.server = hub.WebSocketURL()
	}
	if cfg.stateDir == "" {
		cfg.stateDir = filepath.Join(dir, "state")
	}
	con.Printf("emulator", "IoT Hub emulator %s on %s; device %q", hub.HostName(), cfg.server, id)

	devCtx, stopDevice := context.WithCancel(ctx)
	defer stopDevice()
	deviceDone := make(chan error, 1)
	go func() { deviceDone <- supervise(devCtx, cfg, hub.CA(), con) }()
	cloudDone := make(chan error, 1)
	go func() { cloudDone <- playCloud(devCtx, hub, id, con) }()

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
	con.Printf("cloud", "received %d telemetry messages from %s", len(telemetry(hub, id)), id)
	con.Printf("emulator", "scenario complete")
	return nil
}

// supervise runs the device and restarts it after a reboot, as systemd
// would, until ctx ends.
func supervise(ctx context.Context, cfg config, roots *x509.CertPool, con *cli.Console) error {
	for {
		err := runDevice(ctx, cfg, roots, con)
		if !errors.Is(err, errRebooted) || ctx.Err() != nil {
			return err
		}
		con.Printf("emulator", "the device exited for a reboot; its supervisor starts it again")
	}
}

// writeCertificate writes a certificate and its key as PEM files, as a
// device keeps them.
func writeCertificate(dir string, cert *tls.Certificate) (certFile, keyFile string, err error) {
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "device.pem"), filepath.Join(dir, "device.key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, keyPEM, 0o600)
}

// telemetry returns the telemetry the hub received from the device.
func telemetry(hub *azureiottest.Hub, id string) []azureiottest.D2CMessage {
	var out []azureiottest.D2CMessage
	for _, m := range hub.D2C(id) {
		if m.Topic == firmware.TelemetryTopic {
			out = append(out, m)
		}
	}
	return out
}

// reported returns a reported property of the twin, as text.
func reported(hub *azureiottest.Hub, id, key string) string {
	tw, ok := hub.Twin(id)
	if !ok || tw.Reported.Values[key] == nil {
		return ""
	}
	return fmt.Sprint(tw.Reported.Values[key])
}

// playCloud is the cloud's side of the scenario.
func playCloud(ctx context.Context, hub *azureiottest.Hub, id string, con *cli.Console) error {
	cloud, app := con.Logf("cloud"), con.Logf("app")
	if err := scenario.WaitFor(ctx, "telemetry", func() bool { return len(telemetry(hub, id)) > 0 }); err != nil {
		return err
	}
	m := telemetry(hub, id)[0]
	cloud("telemetry on %s (content type %s): %s", m.RawTopic, m.Properties.ContentType, m.Payload)
	if err := scenario.WaitFor(ctx, "the reported properties", func() bool { return reported(hub, id, "bootId") != "" }); err != nil {
		return err
	}
	firstBoot := reported(hub, id, "bootId")
	cloud("twin reported: firmware %s, bootId %s, %s %s", reported(hub, id, "firmware"), firstBoot,
		firmware.IntervalKey, reported(hub, id, firmware.IntervalKey))

	// An application (or the portal) sets a desired property.
	version, err := hub.UpdateDesired(id, map[string]any{firmware.IntervalKey: emulatedInterval})
	if err != nil {
		return err
	}
	cloud("desired %s=%d ($version %d)", firmware.IntervalKey, emulatedInterval, version)
	want := fmt.Sprint(emulatedInterval)
	if err := scenario.WaitFor(ctx, "the desired interval reported", func() bool { return reported(hub, id, firmware.IntervalKey) == want }); err != nil {
		return err
	}
	cloud("twin reported %s=%s: desired and reported agree", firmware.IntervalKey, want)

	// The application invokes direct methods, as with the service SDKs or
	// `az iot hub invoke-device-method`.
	status, body, err := hub.InvokeMethod(ctx, id, "sensor.list", nil, methodTimeout)
	if err != nil {
		return err
	}
	app("sensor.list → %d %s", status, body)

	// A "tid" in the payload makes the method a transaction the device
	// runs once, however often the application retries it.
	const tid = "reboot-0001"
	envelope := []byte(`{"tid":"` + tid + `"}`)
	status, body, err = hub.InvokeMethod(ctx, id, "reboot", envelope, methodTimeout)
	if err != nil {
		return err
	}
	app("reboot (tid %s) → %d %s", tid, status, body)
	if err := scenario.WaitFor(ctx, "the device back after its reboot", func() bool {
		b := reported(hub, id, "bootId")
		return b != "" && b != firstBoot
	}); err != nil {
		return err
	}
	cloud("twin reported a new bootId %s: the device rebooted", reported(hub, id, "bootId"))

	status, body, err = hub.InvokeMethod(ctx, id, "reboot", envelope, methodTimeout)
	if err != nil {
		return err
	}
	app("reboot (tid %s) again → %d %s", tid, status, body)
	if !strings.Contains(string(body), firstBoot) {
		return fmt.Errorf("the retried reboot ran again: %s", body)
	}
	app("same answer, from boot %s: the reboot ran once", firstBoot)
	return nil
}
