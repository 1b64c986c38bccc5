// Package rawpaho is the baseline of tether's benchmarks: the Eclipse Paho
// MQTT client (github.com/eclipse/paho.mqtt.golang) used directly, the way
// firmware written without tether would use it. tether wraps paho, so the
// same work done with raw paho on the same broker is the floor tether's
// overhead is measured against.
//
// This directory (the package and the publisher program under it) is the
// one place outside mqttx that imports paho, and only as that baseline:
// everything else in tether reaches MQTT through mqttx. Nothing here is
// part of tether's API.
//
// The helpers add no work of their own on the measured paths: Publish is
// paho's Publish followed by a wait for its token; the request/response
// pair decodes and encodes the same JSON envelopes as tether's command
// package, correlating by transaction id in a map, with a paho callback
// answering each request on paho's own goroutine.
package rawpaho
