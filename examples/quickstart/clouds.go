package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/tether-iot/tether/examples/internal/stateconn"
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

// emulatedCloud is one cloud the tour runs the same device code against:
// how the device connects, and the cloud's side of each step.
type emulatedCloud struct {
	name string
	// connect returns the device's connected transport.
	connect func(ctx context.Context) (transport.Transport, error)
	// connectSynced connects the device with the cloud's state service
	// (Device Shadow or device twin) behind state.Syncer.
	connectSynced func(ctx context.Context) (*stateconn.Device, error)
	// sent lists the cloud-side topics the device published on, and
	// wantSent the ones the firmware's two messages must arrive on.
	sent     func() []string
	wantSent []string
	// request sends a cloud-to-device message for canonical topic
	// request/<path>, the way an application would on that cloud.
	request func(path string, payload []byte) error
	// setDesired changes the desired state as a back end does.
	setDesired func(desired map[string]any) error
	// reported is the reported state the cloud stores.
	reported func() map[string]any
	// stored describes what the cloud stores, for the tour's output.
	stored func() string
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
		wantSent: []string{thing + "/events", thing + "/response/sensor/12/reading"},
		request: func(path string, payload []byte) error {
			return e.aws.Publish(thing+"/request/"+path, payload, 1)
		},
		connectSynced: func(ctx context.Context) (*stateconn.Device, error) {
			return stateconn.AWS(ctx, e.aws.DeviceConfig(thing))
		},
		setDesired: func(desired map[string]any) error { return e.aws.SetDesired(thing, "", desired) },
		reported: func() map[string]any {
			doc, _ := e.aws.ShadowDocument(thing, "")
			return doc.State.Reported
		},
		stored: func() string {
			doc, _ := e.aws.ShadowDocument(thing, "")
			return "the shadow " + toJSON(map[string]any{"state": doc.State, "version": doc.Version})
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
		wantSent: []string{
			"devices/" + thing + "/messages/events/",
			"devices/" + thing + "/messages/events/subtopic=response.sensor.12.reading",
		},
		request: func(path string, payload []byte) error {
			// A cloud-to-device message whose subtopic property names the
			// canonical topic, as a backend sends it.
			subtopic := strings.ReplaceAll("request/"+path, "/", ".")
			props := azureiot.Properties{Application: map[string]string{azureiot.SubtopicProperty: subtopic}}
			return e.azure.SendC2D(thing, payload, props)
		},
		connectSynced: func(ctx context.Context) (*stateconn.Device, error) {
			return stateconn.Azure(ctx, e.azure.AddDevice(thing))
		},
		setDesired: func(desired map[string]any) error {
			_, err := e.azure.UpdateDesired(thing, desired)
			return err
		},
		reported: func() map[string]any {
			tw, _ := e.azure.Twin(thing)
			return tw.Reported.Values
		},
		stored: func() string {
			tw, _ := e.azure.Twin(thing)
			return fmt.Sprintf("the twin's reported properties %s ($version %d)", toJSON(tw.Reported.Values), tw.Reported.Version)
		},
	}}
}
