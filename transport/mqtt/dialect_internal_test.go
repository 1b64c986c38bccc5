package mqtt

import "testing"

// MQTT's own limit: the whole PUBLISH must fit in a packet, so the largest
// payload depends on the topic and on the packet identifier (QoS > 0).
// Tested on maxPayload to avoid allocating 256 MiB.
func TestMaxPayload(t *testing.T) {
	d, err := NewDialect(Config{DeviceID: "gw-7"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := NewDialect(Config{DeviceID: "gw-7", MaxPayload: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d     *Dialect
		topic string
		qos   byte
		want  int
	}{
		{d, "a", 0, MaxPacketSize - 2 - 1},
		{d, "a", 1, MaxPacketSize - 2 - 1 - 2},
		{d, "a", 2, MaxPacketSize - 2 - 1 - 2},
		{d, "gw-7/events", 1, MaxPacketSize - 2 - 11 - 2},
		{small, "a", 1, 1000},
	} {
		if got := tc.d.maxPayload(tc.topic, tc.qos); got != tc.want {
			t.Errorf("maxPayload(%q, %d) = %d, want %d", tc.topic, tc.qos, got, tc.want)
		}
	}
}
