//go:build !publisher_json

package main

import "github.com/tether-iot/tether/internal/benchmark/pubcli"

// payload is message number i.
func payload(i int) []byte { return pubcli.Payload(i) }
