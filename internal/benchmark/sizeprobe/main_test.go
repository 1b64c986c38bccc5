//go:build !(sizeprobe_aws || sizeprobe_azure || sizeprobe_both)

package main

import (
	"testing"

	"github.com/tether-iot/tether/internal/benchmark/pubcli/pubclitest"
	"github.com/tether-iot/tether/internal/leakcheck"
)

// TestRunPublishesOverMutualTLS runs the probe's layer (mqttx without a
// tag, the plain adapter with sizeprobe_plain) as the raw publisher runs
// and checks what the broker received, on the layer's topic (sentTopic).
func TestRunPublishesOverMutualTLS(t *testing.T) {
	leakcheck.Check(t)
	pubclitest.CheckRun(t, run, "telemetry", sentTopic)
}
