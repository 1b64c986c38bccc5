// Package firmware is the device behaviour the tether examples share: a
// small environmental sensor that sends telemetry, serves commands
// (sensor.list, sensor.read, reboot) and applies a desired telemetry
// interval. It speaks only transport and command, never a cloud: each
// example wires it to its cloud's state service (the AWS Device Shadow,
// the Azure device twin).
//
// It is example code, not part of tether's API.
package firmware
