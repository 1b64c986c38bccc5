package mqttx_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// loopRunning reports whether a reconnect-loop goroutine exists.
func loopRunning() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Contains(string(buf), "mqttx.(*Client).loop")
}

// waitNoLoop waits until no reconnect-loop goroutine runs.
func waitNoLoop(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for loopRunning() {
		if time.Now().After(deadline) {
			t.Fatal("a reconnect-loop goroutine still runs while connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A connected client holds no goroutine of its own (a gateway connects
// hundreds): the reconnect loop runs only while connecting, and a lost
// connection starts it again.
func TestConnectedClientHoldsNoLoopGoroutine(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	events := newEventLog()
	opts := testOptions(t, b.URL())
	opts.OnEvent = events.record
	c := newClient(t, opts)
	connect(t, c)
	waitNoLoop(t)

	for round := 2; round <= 3; round++ {
		if !b.Disconnect(opts.ClientID) {
			t.Fatal("broker did not know the client")
		}
		events.waitCount(t, mqttx.EventConnected, round)
		waitNoLoop(t)
	}
	if err := c.Reconnect(timeoutCtx(t, 10*time.Second)); err != nil {
		t.Fatalf("Reconnect: %v", err)
	}
	events.waitCount(t, mqttx.EventConnected, 4)
	waitNoLoop(t)
	if !c.IsConnected() {
		t.Fatal("not connected after the reconnects")
	}
}
