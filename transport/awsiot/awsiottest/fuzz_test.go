package awsiottest

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadFrame: any byte stream splits into frames that re-read
// identically, or fails with a typed error; nothing panics.
func FuzzReadFrame(f *testing.F) {
	f.Add(encodePublish("thing1/events", 1, 1, []byte("x")))
	f.Add(encodeSubscribe(1, "a/#", "b"))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		read := 0
		for {
			fr, err := readFrame(r, 1<<12)
			if err != nil {
				if errors.Is(err, errFrameTooLarge) && len(fr.raw) < 2 {
					t.Fatalf("a frame over the limit lost its header")
				}
				return
			}
			if !bytes.Equal(fr.raw, data[read:read+len(fr.raw)]) {
				t.Fatalf("frame at %d is not the input", read)
			}
			if len(fr.body) > len(fr.raw)-2 || !bytes.HasSuffix(fr.raw, fr.body) {
				t.Fatalf("body is not the end of the frame")
			}
			again, err := readFrame(bufio.NewReader(bytes.NewReader(fr.raw)), 1<<12)
			if err != nil || !bytes.Equal(again.raw, fr.raw) {
				t.Fatalf("frame does not re-read: %v", err)
			}
			read += len(fr.raw)
		}
	})
}

// FuzzParsePackets: the field parsers never panic on any body, and what
// parseSubscribe returns encodes back to the body.
func FuzzParsePackets(f *testing.F) {
	f.Add(byte(0x32), encodePublish("a/b", 1, 3, []byte("p"))[2:])
	f.Add(byte(0x82), encodeSubscribe(1, "a/#", "b/+")[2:])
	f.Add(byte(0x10), encodeConnect(testConnect{clientID: "thing1", willTopic: "w", clean: true})[2:])
	f.Fuzz(func(t *testing.T, header byte, body []byte) {
		if c, err := parseConnect(body); err == nil {
			if c.keepAliveAt+2 > len(body) {
				t.Fatalf("keepalive offset %d outside a %d-byte body", c.keepAliveAt, len(body))
			}
		}
		fr := frame{raw: append([]byte{header, 0}, body...), body: body}
		if p, err := parsePublish(fr); err == nil {
			if p.qos > 2 || len(p.payload) > len(body) {
				t.Fatalf("bad publish %+v", p)
			}
		}
		if filters, qos, err := parseSubscribe(body); err == nil {
			again := encodeSubscribeQoS(uint16(body[0])<<8|uint16(body[1]), filters, qos)
			if _, after, _ := cutFixedHeader(again); !bytes.Equal(after, body) {
				t.Fatalf("subscribe of %d filters does not round trip", len(filters))
			}
		}
		if filters, err := parseUnsubscribe(body); err == nil {
			again := encodeUnsubscribe(uint16(body[0])<<8|uint16(body[1]), filters...)
			if _, after, _ := cutFixedHeader(again); !bytes.Equal(after, body) {
				t.Fatalf("unsubscribe does not round trip")
			}
		}
	})
}

// FuzzMatch: AWS matching is MQTT matching minus the parent level of "#".
func FuzzMatch(f *testing.F) {
	f.Add("a/#", "a")
	f.Add("a/+/c", "a/b/c")
	f.Add("#", "$aws/x")
	f.Fuzz(func(t *testing.T, filter, topic string) {
		m, a := mqttMatch(filter, topic), awsMatch(filter, topic)
		if a && !m {
			t.Fatalf("awsMatch(%q, %q) without mqttMatch", filter, topic)
		}
		if m && !a {
			// Only a "#" standing for nothing explains the difference.
			if !strings.HasSuffix(filter, "/#") || strings.Count(topic, "/") != strings.Count(filter, "/")-1 {
				t.Fatalf("mqttMatch(%q, %q) but not awsMatch, and not the parent level", filter, topic)
			}
		}
	})
}

// cutFixedHeader splits an encoded packet into fixed header and body.
func cutFixedHeader(raw []byte) (header, body []byte, err error) {
	fr, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 1<<24)
	if err != nil {
		return nil, nil, err
	}
	return fr.raw[:len(fr.raw)-len(fr.body)], fr.body, nil
}
