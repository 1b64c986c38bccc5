//go:build publisher_json

package main

import (
	"testing"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
)

// The encoding/json build sends the bytes of the default one
// (pubcli.Payload), so that their sizes differ by the encoder alone.
func TestPayloadIsTheSharedOne(t *testing.T) {
	for i := 0; i < 3; i++ {
		if got, want := string(payload(i)), string(pubcli.Payload(i)); got != want {
			t.Errorf("payload(%d) = %s, want %s", i, got, want)
		}
	}
}
