package awsiot_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

func ExamplePresignWebSocketURL() {
	creds := awsiot.Credentials{
		AccessKeyID:     "AKIDEXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	}
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	u, err := awsiot.PresignWebSocketURL("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", "us-east-1", creds, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u)
	fmt.Println(creds) // the secret never prints
	// Output:
	// wss://a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240506%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20240506T070809Z&X-Amz-SignedHeaders=host&X-Amz-Signature=45e9323bedc98af19c73306e8dc2229b9bb340f94ed24ba5a8744d73967cd65f
	// {AccessKeyID:AKIDEXAMPLE SecretAccessKey:[REDACTED] SessionToken:}
}

func ExampleTopics() {
	topics, err := awsiot.NewTopics("gateway-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(topics.ToAWS("response/sensor/12/reading"))
	fmt.Println(topics.ToAWS("request/#"))
	canonical, ok := topics.FromAWS("gateway-7/request/sensor/list")
	fmt.Printf("%q %v\n", canonical, ok)
	canonical, ok = topics.FromAWS("$aws/things/gateway-7/shadow/update/delta")
	fmt.Printf("%q %v\n", canonical, ok)

	// The command scheme from AWS guidance is another prefix.
	commands, _ := awsiot.TopicsWithPrefix("cmd/gateway-7/")
	fmt.Println(commands.ToAWS("resp"))
	canonical, ok = commands.FromAWS("cmd/gateway-7/req")
	fmt.Printf("%q %v\n", canonical, ok)
	// Output:
	// gateway-7/response/sensor/12/reading
	// gateway-7/request/#
	// "request/sensor/list" true
	// "" false
	// cmd/gateway-7/resp
	// "req" true
}

func ExampleValidatePublish() {
	payload := make([]byte, awsiot.MaxPayloadSize+1)
	err := awsiot.ValidatePublish("gateway-7/events", payload, 1)
	fmt.Println(err)
	fmt.Println(errors.Is(err, awsiot.ErrPayloadTooLarge))
	var le *awsiot.LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Value, le.Max)
	}
	// Output:
	// awsiot: payload size 131073 exceeds maximum 131072
	// true
	// 131073 131072
}

func ExampleClampKeepAlive() {
	for _, d := range []time.Duration{0, 10 * time.Second, 5 * time.Minute, time.Hour} {
		fmt.Println(d, "→", awsiot.ClampKeepAlive(d))
	}
	// Output:
	// 0s → 20m0s
	// 10s → 30s
	// 5m0s → 5m0s
	// 1h0m0s → 20m0s
}

func ExampleCustomAuthorizer_MQTTUsername() {
	a := awsiot.CustomAuthorizer{
		Name:         "tether-authorizer",
		Signature:    "c2lnbmF0dXJl+/=",
		TokenKeyName: "token",
		Token:        "device-7-token",
	}
	username, err := a.MQTTUsername()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(username)
	fmt.Println(a)
	// Output:
	// ?x-amz-customauthorizer-name=tether-authorizer&x-amz-customauthorizer-signature=c2lnbmF0dXJl%2B%2F%3D&token=device-7-token
	// {Name:tether-authorizer Signature:[REDACTED] TokenKeyName:token Token:[REDACTED] Username:}
}

func ExampleNew() {
	// An in-process emulator stands in for AWS IoT Core. With a real
	// account the Config names the endpoint, the thing and its certificate
	// files instead.
	e, err := awsiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	conn, err := awsiot.New(e.DeviceConfig("gateway-7"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)

	requests := make(chan transport.Message, 1)
	if err := conn.Handle(ctx, "request/#", func(_ context.Context, m transport.Message) { requests <- m }); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Publish("gateway-7/request/sensor/list", []byte("{}"), 1); err != nil {
		fmt.Println(err)
		return
	}
	req := <-requests
	fmt.Println("device handles", req.Topic)

	if err := conn.Send(ctx, transport.Message{Topic: "response/sensor/list", Payload: []byte(`["12"]`), QoS: 1}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("cloud received", e.Received("gateway-7")[0].Topic)

	err = conn.Send(ctx, transport.Message{Topic: "events", QoS: 2})
	fmt.Println(errors.Is(err, transport.ErrQoSNotSupported))
	// Output:
	// device handles request/sensor/list
	// cloud received gateway-7/response/sensor/list
	// true
}
