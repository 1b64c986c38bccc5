package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/mqtt"
)

// A Router with two handlers served through the Server core: a duplicate
// is answered from the cache without running the handler again, an unknown
// method gets 404, a malformed envelope 400.
func Example() {
	var relaySets atomic.Int64
	relay := "off"

	r := command.NewRouter()
	r.HandleFunc("sensor.list", func(ctx context.Context, req *command.Request) command.Response {
		return command.JSON(command.StatusOK, []string{"temp", "humidity"})
	})
	r.HandleFunc("relay.set", func(ctx context.Context, req *command.Request) command.Response {
		var arg struct{ State string }
		if err := json.Unmarshal(req.Payload, &arg); err != nil {
			return command.Error(command.StatusBadRequest, "want {\"state\":...}")
		}
		relaySets.Add(1)
		relay = arg.State
		return command.Response{Status: command.StatusNoContent}
	})

	srv, err := command.NewServer(r, command.WithTimeout(5*time.Second))
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()

	// What a transport does with each message: decode, serve, encode.
	serve := func(envelope string) {
		req, err := command.DecodeRequest([]byte(envelope), time.Now())
		if err != nil {
			fmt.Println(command.ErrorResponse(err).Status, err)
			return
		}
		out, _ := command.EncodeResponse(req.TID, srv.Serve(ctx, req))
		fmt.Println(string(out))
	}
	serve(`{"tid":"1","method":"sensor.list"}`)
	serve(`{"tid":"2","method":"relay.set","payload":{"state":"on"}}`)
	serve(`{"tid":"2","method":"relay.set","payload":{"state":"on"}}`) // QoS 1 redelivery
	serve(`{"tid":"3","method":"fan.set"}`)
	serve(`{"method":"relay.set"}`)
	fmt.Println("relay", relay, "set", relaySets.Load(), "time")

	// Output:
	// {"tid":"1","status":200,"payload":["temp","humidity"]}
	// {"tid":"2","status":204}
	// {"tid":"2","status":204}
	// {"tid":"3","status":404,"payload":{"error":"command: unknown method \"fan.set\""}}
	// 400 command: malformed request: field "tid": missing
	// relay on set 1 time
}

// Topic codecs are pure functions: the canonical AWS scheme carries the
// method in the topic, Azure carries it in the direct-method topic.
func ExampleScheme_ParseRequestTopic() {
	method, _ := command.SchemeCanonical.ParseRequestTopic("gw-7", "gw-7/request/sensor/list")
	resp, _ := command.SchemeCanonical.ResponseTopic("gw-7", method)
	fmt.Println(method, resp)

	method, rid, _ := command.ParseAzureMethodTopic("$iothub/methods/POST/sensor.list/?$rid=1f")
	azResp, _ := command.AzureMethodResponseTopic(command.StatusOK, rid)
	fmt.Println(method, azResp)
	// Output:
	// sensor.list gw-7/response/sensor/list
	// sensor.list $iothub/methods/res/200/?$rid=1f
}

// A device serves commands over a transport and an application invokes
// them, here both on a plain MQTT broker (the in-process test broker): one
// command, one answer, one failure typed, and a group with a silent member.
func ExampleNewDevice() {
	broker, err := mqttxtest.Start()
	if err != nil {
		panic(err)
	}
	defer broker.Close()
	ctx := context.Background()
	connect := func(id string) transport.Transport {
		t, err := mqtt.New(mqtt.Config{Server: broker.URL(), DeviceID: id})
		if err != nil {
			panic(err)
		}
		if err := t.Connect(ctx); err != nil {
			panic(err)
		}
		return t
	}

	// Device side: firmware on gateway gw-7, a member of group floor-3.
	r := command.NewRouter()
	r.HandleFunc("sensor.list", func(ctx context.Context, req *command.Request) command.Response {
		return command.JSON(command.StatusOK, []string{"temp", "humidity"})
	})
	gw := connect("gw-7")
	defer gw.Close(ctx)
	dev, err := command.NewDevice(ctx, gw, r, command.WithGroups("floor-3"))
	if err != nil {
		panic(err)
	}
	defer dev.Shutdown(ctx)

	// Application side: a fleet tool on the same broker.
	app := connect("fleet-tool")
	defer app.Close(ctx)
	inv := command.NewInvoker(app, command.InvokerConfig{Sender: "fleet-tool"})
	defer inv.Close(ctx)

	res, err := inv.Invoke(ctx, "gw-7", "sensor.list", nil)
	fmt.Println(res.Status, string(res.Payload), err)

	_, err = inv.Invoke(ctx, "gw-7", "fan.set", map[string]bool{"on": true})
	fmt.Println(errors.Is(err, command.ErrUnknownMethod), err)

	gctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	group, err := inv.InvokeGroup(gctx, "floor-3", "sensor.list", nil, []string{"gw-7", "gw-9"})
	fmt.Println(len(group.Answers), group.Answers[0].Device, "missing:", group.Missing, err)
	// Output:
	// 200 ["temp","humidity"] <nil>
	// true command: "gw-7" answered "fan.set" with status 404: "command: unknown method \"fan.set\""
	// 1 gw-7 missing: [gw-9] <nil>
}
