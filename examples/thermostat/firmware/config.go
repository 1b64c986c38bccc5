package firmware

import (
	"log/slog"
	"time"

	"github.com/tether-iot/tether/transport"
)

// Defaults; a zero Config field means its default.
const (
	// DefaultTick is how often the simulated room's temperature moves.
	DefaultTick = time.Second
	// DefaultStep is how far the temperature moves toward the setpoint
	// every tick, in °C.
	DefaultStep = 0.5
	// DefaultTemperature is the room's temperature at start, and the
	// setpoint until the cloud asks for another, in °C.
	DefaultTemperature = 20.0
	// DefaultReportTimeout bounds one report (or telemetry message): one
	// that takes longer, say while offline, is retried at the next tick.
	DefaultReportTimeout = 5 * time.Second
)

// Keys of the state the thermostat shares with the cloud.
const (
	// SetpointKey is the desired and reported target temperature.
	SetpointKey = "setpoint"
	// TemperatureKey is the reported room temperature.
	TemperatureKey = "temperature"
	// TelemetryTopic is the canonical topic of the temperature telemetry.
	TelemetryTopic = "telemetry/temperature"
)

// Config tunes Run. The zero value is ready to use.
type Config struct {
	// Tick is how often the temperature moves (default DefaultTick).
	Tick time.Duration
	// Step is how far it moves each tick, in °C (default DefaultStep).
	Step float64
	// Temperature is the room's initial temperature, and the setpoint
	// until the cloud sets one, in °C (default DefaultTemperature).
	Temperature float64
	// ReportTimeout bounds one report (default DefaultReportTimeout).
	ReportTimeout time.Duration
	// Telemetry, when set, receives {"temperature":t} on TelemetryTopic
	// at QoS 0 whenever the temperature changes.
	Telemetry transport.Transport
	// OnSetpoint, when set, is called on Run's goroutine whenever the
	// cloud changes the setpoint, with the new one and the version of the
	// desired state it came with.
	OnSetpoint func(setpoint float64, version int64)
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if c.Step <= 0 {
		c.Step = DefaultStep
	}
	if c.Temperature == 0 {
		c.Temperature = DefaultTemperature
	}
	if c.ReportTimeout <= 0 {
		c.ReportTimeout = DefaultReportTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
