package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/transport/awsiot"
)

// relayRouter is the device's command handler, the same on every cloud: it
// switches a relay and counts how often it really ran.
func relayRouter(executions *atomic.Int32) *command.Router {
	r := command.NewRouter()
	r.HandleFunc("relay.set", func(_ context.Context, req *command.Request) command.Response {
		var arg struct {
			On bool `json:"on"`
		}
		if err := json.Unmarshal(req.Payload, &arg); err != nil {
			return command.Error(command.StatusBadRequest, "want {\"on\": bool}")
		}
		n := executions.Add(1)
		return command.JSON(command.StatusOK, map[string]any{"relay": arg.On, "executions": n})
	})
	return r
}

// commandsOnBothClouds serves the same handler on each emulated cloud,
// invokes it the way each cloud's applications do, and retries one call
// with the same transaction id to show the answer coming from the dedup
// cache instead of a second execution.
func commandsOnBothClouds(e *emulators) func(ctx context.Context, out io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		for _, cloud := range e.clouds() {
			tr, err := cloud.connect(ctx)
			if err != nil {
				return fmt.Errorf("%s: connect: %w", cloud.name, err)
			}
			defer tr.Close(context.Background())
			var executions atomic.Int32
			dev, err := command.NewDevice(ctx, tr, relayRouter(&executions))
			if err != nil {
				return fmt.Errorf("%s: serving commands: %w", cloud.name, err)
			}
			defer dev.Shutdown(context.Background())

			invoke, how, closeApp, err := e.invoker(ctx, cloud.name)
			if err != nil {
				return err
			}
			defer closeApp()
			fmt.Fprintf(out, "   %s: the application invokes relay.set %s\n", cloud.name, how)
			for attempt := 1; attempt <= 2; attempt++ {
				status, body, err := invoke(ctx, tr.Info().DeviceID, "relay.set", "tid-relay-1", map[string]bool{"on": true})
				if err != nil {
					return fmt.Errorf("%s: invoke: %w", cloud.name, err)
				}
				fmt.Fprintf(out, "   %s: call %d with TID tid-relay-1 answered %d %s\n", cloud.name, attempt, status, body)
			}
			if n := executions.Load(); n != 1 {
				return fmt.Errorf("%s: the handler ran %d times for one TID", cloud.name, n)
			}
			fmt.Fprintf(out, "   %s: the handler ran once; the retry was answered from the dedup cache\n", cloud.name)
		}
		return nil
	}
}

// invokeFunc calls a method on a device with a transaction id.
type invokeFunc func(ctx context.Context, device, method, tid string, arg any) (status int, body []byte, err error)

// invoker returns how an application invokes methods on the named cloud,
// and a function that closes the application's resources.
func (e *emulators) invoker(ctx context.Context, cloud string) (invoke invokeFunc, how string, closeApp func(), err error) {
	switch cloud {
	case "AWS IoT Core":
		// An application on MQTT, with its own identity, sends request
		// envelopes on the device's request topic.
		app, err := awsiot.New(e.aws.DeviceConfig("fleet-app"))
		if err != nil {
			return nil, "", nil, err
		}
		if err := app.Connect(ctx); err != nil {
			return nil, "", nil, err
		}
		iv := command.NewInvoker(app, command.InvokerConfig{Sender: "fleet-app"})
		closeApp := func() {
			iv.Close(context.Background())
			app.Close(context.Background())
		}
		return func(ctx context.Context, device, method, tid string, arg any) (int, []byte, error) {
			res, err := iv.Invoke(ctx, device, method, arg, command.WithTID(tid))
			if err != nil {
				return 0, nil, err
			}
			return res.Status, res.Payload, nil
		}, "over MQTT (request/response topics, TID in the envelope)", closeApp, nil
	default:
		// The hub's service API; the TID travels in the payload envelope.
		return func(ctx context.Context, device, method, tid string, arg any) (int, []byte, error) {
			payload, err := json.Marshal(arg)
			if err != nil {
				return 0, nil, err
			}
			envelope, err := command.EncodeRequest(&command.Request{TID: tid, Sender: "ops-console", Payload: payload}, time.Now())
			if err != nil {
				return 0, nil, err
			}
			return e.azure.InvokeMethod(ctx, device, method, envelope, 5*time.Second)
		}, "as a direct method (the service API, TID in the payload envelope)", func() {}, nil
	}
}
