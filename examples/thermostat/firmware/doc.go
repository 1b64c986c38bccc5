// Package firmware is a thermostat written once against state.Syncer, so
// the same code runs on AWS IoT Core (shadow.Client) and Azure IoT Hub
// (twin.Client):
//
//	err := firmware.Run(ctx, syncer, firmware.Config{Telemetry: conn})
//
// The cloud asks for a temperature with the desired property "setpoint"
// (a number, in °C). The thermostat applies it, reports "setpoint" and the
// room's "temperature", and drives the simulated room toward the setpoint
// by Config.Step every Config.Tick, reporting each new temperature. A
// setpoint changed while the device was offline arrives after the
// reconnect (the Syncer reads the desired state again) and is applied the
// same way. Reports that fail, for instance while offline, are merged and
// sent again at the next tick, so the cloud always ends up with the
// latest state.
package firmware
