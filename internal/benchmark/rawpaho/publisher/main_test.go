package main

import (
	"testing"

	"github.com/tether-iot/tether/internal/benchmark/pubcli/pubclitest"
)

func TestRunPublishesOverMutualTLS(t *testing.T) {
	pubclitest.CheckRun(t, run, "dev-1/telemetry", "dev-1/telemetry")
}
