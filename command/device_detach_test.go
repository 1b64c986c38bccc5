package command_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
)

// detachProbe holds "hold" until released and reports, for every command,
// whether transport.Detach succeeds with the handler's ctx and whether the
// handler runs on the goroutine of an mqttx subscription worker.
type detachProbe struct {
	holding  chan struct{}
	release  chan struct{}
	detached chan bool
	onWorker chan bool
}

func (p *detachProbe) ServeCommand(ctx context.Context, req *command.Request) command.Response {
	p.detached <- transport.Detach(ctx)
	buf := make([]byte, 64<<10)
	p.onWorker <- bytes.Contains(buf[:runtime.Stack(buf, false)], []byte("mqttx.(*Client).work("))
	if req.Method == "hold" {
		p.holding <- struct{}{}
		select {
		case <-p.release:
		case <-ctx.Done():
		}
	}
	return command.Response{Status: command.StatusOK}
}

// Over a real transport the Device runs each handler on the transport's
// worker once the command is admitted (the worker detaches, which saves a
// hand-off to another goroutine), and a command still running does not
// hold up the next one. The handler's ctx is not the transport's: it
// cannot detach anything itself.
func TestDeviceOverBrokerAnswersWhileAHandlerRuns(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	dev := connectedPlain(t, b, "gw-detach")
	app := connectedPlain(t, b, "app-detach")
	p := &detachProbe{holding: make(chan struct{}, 1), release: make(chan struct{}), detached: make(chan bool, 4), onWorker: make(chan bool, 4)}
	d, err := command.NewDevice(t.Context(), dev, p, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	inv := command.NewInvoker(app, command.InvokerConfig{AttemptTimeout: 5 * time.Second, Sender: "app"})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	held := make(chan error, 1)
	go func() {
		_, err := inv.Invoke(ctx, "gw-detach", "hold", nil)
		held <- err
	}()
	<-p.holding
	start := time.Now()
	if res, err := inv.Invoke(ctx, "gw-detach", "quick", nil); err != nil || res.Status != command.StatusOK {
		t.Fatalf("Invoke while another command runs = %+v, %v", res, err)
	}
	t.Logf("answered in %v while another command ran", time.Since(start))
	close(p.release)
	if err := <-held; err != nil {
		t.Fatalf("the held command: %v", err)
	}
	for i := 0; i < 2; i++ {
		if <-p.detached {
			t.Fatal("transport.Detach succeeded with a command handler's ctx")
		}
		if !<-p.onWorker {
			t.Fatal("a handler ran on a goroutine of its own, not on the transport's detached worker")
		}
	}
	if err := inv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
