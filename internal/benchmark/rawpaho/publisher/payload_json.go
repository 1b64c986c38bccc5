//go:build publisher_json

package main

import (
	"encoding/json"
	"fmt"
)

// message is the JSON document the publisher sends.
type message struct {
	Seq int `json:"seq"`
}

// payload is message number i, encoded by encoding/json (the same bytes as
// pubcli.Payload) and decoded back as a self-check, so that the build
// links both halves of encoding/json, as a program that reads and writes
// JSON documents does.
func payload(i int) []byte {
	b, err := json.Marshal(message{Seq: i})
	if err != nil {
		panic(err) // an int field always encodes
	}
	var back message
	if err := json.Unmarshal(b, &back); err != nil || back.Seq != i {
		panic(fmt.Sprintf("publisher: %s does not decode to message %d: %v", b, i, err))
	}
	return b
}
