// Command sizeprobe is the raw paho publisher (../rawpaho/publisher) built
// on one layer of tether at a time, so that the binary-size evidence of
// benchtable can say what each layer adds to the stripped linux/arm size.
// The command line is the publisher's (../pubcli); only run, chosen by a
// build tag, differs:
//
//	sizeprobe_mqttx   mqttx.Client (also the build without a tag)
//	sizeprobe_plain   transport with the plain MQTT adapter
//	sizeprobe_aws     transport with the AWS IoT Core adapter
//	sizeprobe_azure   transport with the Azure IoT Hub adapter
//	sizeprobe_both    both cloud adapters, chosen by -cloud
//
// It is a measuring instrument, not an example: examples/device is the
// program a user starts from.
package main

import "github.com/tether-iot/tether/internal/benchmark/pubcli"

func main() { pubcli.Main("sizeprobe", run) }
