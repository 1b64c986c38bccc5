package azureiot_test

import (
	"fmt"
	"time"

	"github.com/tether-iot/tether/transport/azureiot"
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
