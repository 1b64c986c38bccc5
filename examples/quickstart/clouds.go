package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
	"github.com/tether-iot/tether/transport/azureiot"
	"github.com/tether-iot/tether/transport/azureiot/azureiottest"
)

// emulators are the in-process clouds of the tour.
type emulators struct {
	aws   *awsiottest.Emulator
	azure *azureiottest.Hub
}

func startEmulators() (*emulators, error) {
	aws, err := awsiottest.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the AWS IoT Core emulator: %w", err)
	}
	azure, err := azureiottest.Start()
	if err != nil {
		aws.Close()
		return nil, fmt.Errorf("starting the Azure IoT Hub emulator: %w", err)
	}
	return &emulators{aws: aws, azure: azure}, nil
}

func (e *emulators) Close() {
	e.aws.Close()
	e.azure.Close()
}

// clouds describes each emulated cloud for the device "thermostat-1".
func (e *emulators) clouds() []emulatedCloud {
	const thing = "thermostat-1"
	return []emulatedCloud{{
		name: "AWS IoT Core",
		connect: func(ctx context.Context) (transport.Transport, error) {
			tr, err := awsiot.New(e.aws.DeviceConfig(thing))
			if err != nil {
				return nil, err
			}
			return tr, tr.Connect(ctx)
		},
		sent: func() []string {
			var topics []string
			for _, m := range e.aws.Received(thing) {
				topics = append(topics, m.Topic)
			}
			return topics
		},
		request: func(path string, payload []byte) error {
			return e.aws.Publish(thing+"/request/"+path, payload, 1)
		},
	}, {
		name: "Azure IoT Hub",
		connect: func(ctx context.Context) (transport.Transport, error) {
			tr, err := azureiot.New(e.azure.AddDevice(thing))
			if err != nil {
				return nil, err
			}
			return tr, tr.Connect(ctx)
		},
		sent: func() []string {
			var topics []string
			for _, m := range e.azure.D2C(thing) {
				topics = append(topics, m.RawTopic)
			}
			return topics
		},
		request: func(path string, payload []byte) error {
			// A cloud-to-device message whose subtopic property names the
			// canonical topic, as a backend sends it.
			subtopic := strings.ReplaceAll("request/"+path, "/", ".")
			props := azureiot.Properties{Application: map[string]string{azureiot.SubtopicProperty: subtopic}}
			return e.azure.SendC2D(thing, payload, props)
		},
	}}
}
