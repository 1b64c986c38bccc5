package command_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tether-iot/tether/command"
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
