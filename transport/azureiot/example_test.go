package azureiot_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// Parse a device connection string and mint the SAS token used as the MQTT
// password, with a fixed clock so the output is reproducible.
func Example() {
	cs, err := azureiot.ParseConnectionString(
		"HostName=myiothub.azure-devices.net;DeviceId=my_device;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cs) // the key is redacted

	now := time.Unix(1578938092, 0) // a real device uses time.Now()
	if err := azureiot.CheckClock(now); err != nil {
		fmt.Println(err)
		return
	}
	expiry := now.Add(azureiot.DefaultTokenTTL)
	username, _ := azureiot.Username(cs.HostName, cs.DeviceID, cs.ModuleID, "")
	fmt.Println(username)
	fmt.Println(azureiot.SASToken(cs.Resource(), cs.SharedAccessKey, cs.SharedAccessKeyName, expiry))
	fmt.Println("renew at", azureiot.TokenRenewTime(now, expiry, 0).UTC().Format(time.RFC3339))

	// Output:
	// HostName=myiothub.azure-devices.net;DeviceId=my_device;SharedAccessKey=<redacted>
	// myiothub.azure-devices.net/my_device/?api-version=2021-04-12
	// SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=6BQpP0VpyZ0mTIlMbvjlP%2FxyeadWxB24Mp9J8uADz8w%3D&se=1578941692
	// renew at 2020-01-13T18:42:52Z
}

// Translate canonical topics to IoT Hub topics and back.
func ExampleD2CTopic() {
	topic, _ := azureiot.D2CTopic("my_device", "", "response/sensor/12/reading",
		azureiot.Properties{ContentType: "application/json", ContentEncoding: "utf-8"})
	fmt.Println(topic)

	canonical, props, _ := azureiot.ParseC2DTopic("my_device",
		"devices/my_device/messages/devicebound/%24.mid=42&subtopic=request.sensor.list&filter=a%26b")
	fmt.Println(canonical, props.MessageID, props.Application["filter"])

	// Output:
	// devices/my_device/messages/events/subtopic=response.sensor.12.reading&%24.ct=application%2Fjson&%24.ce=utf-8
	// request/sensor/list 42 a&b
}

// A clock that was never set cannot mint a token.
func ExampleCheckClock() {
	err := azureiot.CheckClock(time.Unix(5, 0))
	fmt.Println(err)
	// Output:
	// azureiot: system clock not set: 1970-01-01T00:00:05Z is before 2020-01-01T00:00:00Z
}

// Connect a device to IoT Hub (here the emulator from azureiottest), send
// an event and handle cloud-to-device requests. A real device sets
// ConnectionString from its provisioning and leaves Server and RootCAs
// empty.
func ExampleNew() {
	hub, err := azureiottest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close()
	hub.AddDevice("dev1")
	cs, _ := hub.ConnectionString("dev1")

	conn, err := azureiot.New(azureiot.Config{
		ConnectionString: cs,
		Server:           hub.URL(), // the emulator instead of {HostName}:8883
		RootCAs:          hub.CA(),
	})
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
	fmt.Printf("%+v\n", conn.Info())

	err = conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("hello"), QoS: 1,
		Properties: transport.Properties{ContentType: "text/plain"}})
	fmt.Println("send:", err)

	// IoT Hub refuses QoS 2 by closing the connection: the adapter refuses
	// it first.
	err = conn.Send(ctx, transport.Message{Topic: "events", QoS: 2})
	fmt.Println(errors.Is(err, transport.ErrQoSNotSupported), err)

	msgs, _ := hub.WaitD2C(ctx, "dev1", 1)
	fmt.Println(msgs[0].RawTopic)

	// Output:
	// {Cloud:azure DeviceID:dev1 ModuleID: ClientID:dev1}
	// send: <nil>
	// true transport: azure: publish QoS 2 exceeds 1
	// devices/dev1/messages/events/%24.ct=text%2Fplain
}
