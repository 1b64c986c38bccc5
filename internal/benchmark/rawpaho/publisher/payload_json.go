//go:build publisher_json

package main

import "encoding/json"

// payload is message number i, encoded by encoding/json: the same bytes
// as pubcli.Payload.
func payload(i int) []byte {
	b, err := json.Marshal(struct {
		Seq int `json:"seq"`
	}{i})
	if err != nil {
		panic(err) // an int field always encodes
	}
	return b
}
