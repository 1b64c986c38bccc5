package command_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// blockingHandler answers "ok" at once and holds "wait" until its ctx
// ends, reporting the ctx's error.
type blockingHandler struct {
	started chan struct{}
	ended   chan error
}

func newBlockingHandler() *blockingHandler {
	return &blockingHandler{started: make(chan struct{}, 8), ended: make(chan error, 8)}
}

func (h *blockingHandler) ServeCommand(ctx context.Context, req *command.Request) command.Response {
	if req.Method == "wait" {
		h.started <- struct{}{}
		<-ctx.Done()
		h.ended <- ctx.Err()
	}
	return command.Response{Status: command.StatusOK}
}

// endedWithin waits for the handler's ctx to end and returns its error.
func (h *blockingHandler) endedWithin(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-h.ended:
		return err
	case <-time.After(d):
		t.Fatalf("the handler's ctx did not end within %v", d)
		return nil
	}
}

func connectedPlain(t *testing.T, b *mqttxtest.Broker, id string) *transport.Conn {
	t.Helper()
	c, err := mqtt.New(mqtt.Config{Server: b.URL(), DeviceID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// A command's ctx ends at its deadline, when Shutdown gives up waiting
// for it, or when the transport closes; commands before it, which share
// the Device's command context, leave that context usable.
func TestCommandContextEnds(t *testing.T) {
	b := mqttxtest.NewBroker(t)
	app := connectedPlain(t, b, "app")
	inv := command.NewInvoker(app, command.InvokerConfig{Sender: "app", Attempts: 1, AttemptTimeout: 10 * time.Second})
	defer inv.Close(context.Background())
	invoke := func(device, method string) chan error {
		res := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := inv.Invoke(ctx, device, method, nil)
			res <- err
		}()
		return res
	}

	t.Run("shutdown gives up", func(t *testing.T) {
		h := newBlockingHandler()
		d, err := command.NewDevice(t.Context(), connectedPlain(t, b, "gw-1"), h, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := <-invoke("gw-1", "ok"); err != nil {
				t.Fatalf("Invoke ok: %v", err)
			}
		}
		invoke("gw-1", "wait")
		<-h.started
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := d.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if err := h.endedWithin(t, 2*time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("handler ctx ended with %v, want Canceled", err)
		}
	})

	t.Run("transport closes", func(t *testing.T) {
		h := newBlockingHandler()
		devT := connectedPlain(t, b, "gw-2")
		d, err := command.NewDevice(t.Context(), devT, h, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Shutdown(context.Background())
		if err := <-invoke("gw-2", "ok"); err != nil {
			t.Fatalf("Invoke ok: %v", err)
		}
		invoke("gw-2", "wait")
		<-h.started
		go devT.Close(context.Background())
		if err := h.endedWithin(t, 2*time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("handler ctx ended with %v, want Canceled", err)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		h := newBlockingHandler()
		d, err := command.NewDevice(t.Context(), connectedPlain(t, b, "gw-3"), h, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Shutdown(context.Background())
		for range 2 { // the second runs under the same command context
			res := make(chan error, 1)
			go func() {
				// The request carries the caller's deadline to the device.
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				_, err := inv.Invoke(ctx, "gw-3", "wait", nil)
				res <- err
			}()
			<-h.started
			if err := h.endedWithin(t, 2*time.Second); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("handler ctx ended with %v, want DeadlineExceeded", err)
			}
			<-res
		}
	})
}
