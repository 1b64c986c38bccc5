package awsiottest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// Encoders for tests: what a device would send.

func encodeFrame(header byte, body []byte) []byte {
	b := []byte{header}
	n := len(body)
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			break
		}
	}
	return append(b, body...)
}

func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>8), byte(len(s)))
	return append(b, s...)
}

type testConnect struct {
	clientID  string
	username  *string
	password  []byte
	keepAlive uint16
	clean     bool
	willTopic string
	willQoS   byte
}

func encodeConnect(c testConnect) []byte {
	body := appendString(nil, "MQTT")
	body = append(body, 4)
	var flags byte
	if c.clean {
		flags |= 0x02
	}
	if c.willTopic != "" {
		flags |= 0x04 | c.willQoS<<3
	}
	if c.password != nil {
		flags |= 0x40
	}
	if c.username != nil {
		flags |= 0x80
	}
	body = append(body, flags, byte(c.keepAlive>>8), byte(c.keepAlive))
	body = appendString(body, c.clientID)
	if c.willTopic != "" {
		body = appendString(body, c.willTopic)
		body = appendString(body, "gone")
	}
	if c.username != nil {
		body = appendString(body, *c.username)
	}
	if c.password != nil {
		body = appendString(body, string(c.password))
	}
	return encodeFrame(packetConnect<<4, body)
}

func encodePublish(topic string, qos byte, id uint16, payload []byte) []byte {
	body := appendString(nil, topic)
	if qos > 0 {
		body = append(body, byte(id>>8), byte(id))
	}
	body = append(body, payload...)
	return encodeFrame(packetPublish<<4|qos<<1, body)
}

func encodeSubscribe(id uint16, filters ...string) []byte {
	qos := make([]byte, len(filters))
	for i := range qos {
		qos[i] = 1
	}
	return encodeSubscribeQoS(id, filters, qos)
}

func encodeSubscribeQoS(id uint16, filters []string, qos []byte) []byte {
	body := []byte{byte(id >> 8), byte(id)}
	for i, f := range filters {
		body = appendString(body, f)
		body = append(body, qos[i])
	}
	return encodeFrame(packetSubscribe<<4|0x02, body)
}

func encodeUnsubscribe(id uint16, filters ...string) []byte {
	body := []byte{byte(id >> 8), byte(id)}
	for _, f := range filters {
		body = appendString(body, f)
	}
	return encodeFrame(packetUnsubscribe<<4|0x02, body)
}

func TestReadFrameSizes(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 200000} {
		body := bytes.Repeat([]byte{0xab}, n)
		raw := encodeFrame(0x30, body)
		f, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 1<<20)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if !bytes.Equal(f.raw, raw) || !bytes.Equal(f.body, body) || f.kind() != packetPublish {
			t.Fatalf("size %d: frame does not round trip", n)
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"empty stream", nil, 100, io.EOF},
		{"truncated length", []byte{0x30, 0x80}, 100, io.ErrUnexpectedEOF},
		{"truncated body", []byte{0x30, 0x05, 1, 2}, 100, io.ErrUnexpectedEOF},
		{"five length bytes", []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, 1 << 30, errMalformed},
		{"over the limit", encodeFrame(0x30, make([]byte, 101)), 100, errFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readFrame(bufio.NewReader(bytes.NewReader(tt.in)), tt.limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == errFrameTooLarge && f.raw[0]>>4 != packetPublish {
				t.Fatalf("a frame over the limit must keep its header")
			}
		})
	}
}

func TestParseConnect(t *testing.T) {
	user := "dev?x-amz-customauthorizer-name=a"
	tests := []struct {
		name string
		in   testConnect
	}{
		{"minimal", testConnect{clientID: "thing1", keepAlive: 60, clean: true}},
		{"will", testConnect{clientID: "thing1", willTopic: "thing1/status", willQoS: 1}},
		{"credentials", testConnect{clientID: "c", username: &user, password: []byte("pw"), keepAlive: 1200}},
		{"empty client id", testConnect{keepAlive: 30, clean: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readFrame(bufio.NewReader(bytes.NewReader(encodeConnect(tt.in))), 1<<16)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseConnect(f.body)
			if err != nil {
				t.Fatal(err)
			}
			if c.protocol != "MQTT" || c.level != 4 || c.clientID != tt.in.clientID || c.keepAlive != tt.in.keepAlive ||
				c.cleanSession != tt.in.clean || c.will != (tt.in.willTopic != "") || c.willTopic != tt.in.willTopic ||
				c.willQoS != tt.in.willQoS || c.hasUsername != (tt.in.username != nil) ||
				!bytes.Equal(c.password, tt.in.password) {
				t.Fatalf("parsed %+v from %+v", c, tt.in)
			}
			if tt.in.username != nil && c.username != *tt.in.username {
				t.Fatalf("username %q", c.username)
			}
			// The keepalive offset points at the keepalive.
			f.body[c.keepAliveAt], f.body[c.keepAliveAt+1] = 0x04, 0xb0
			if c2, _ := parseConnect(f.body); c2.keepAlive != 1200 {
				t.Fatalf("keepalive at offset %d: rewritten to %d", c.keepAliveAt, c2.keepAlive)
			}
		})
	}
	if _, err := parseConnect(encodeConnect(testConnect{clientID: "abc"})[2:9]); !errors.Is(err, errMalformed) {
		t.Fatalf("truncated CONNECT: err = %v", err)
	}
}

func TestParsePublish(t *testing.T) {
	for _, qos := range []byte{0, 1, 2} {
		raw := encodePublish("thing1/events", qos, 7, []byte("hello"))
		f, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePublish(f)
		if err != nil {
			t.Fatal(err)
		}
		wantID := uint16(7)
		if qos == 0 {
			wantID = 0
		}
		if p.topic != "thing1/events" || p.qos != qos || p.packetID != wantID || string(p.payload) != "hello" {
			t.Fatalf("QoS %d: parsed %+v", qos, p)
		}
	}
	if _, err := parsePublish(frame{raw: []byte{0x36}}); !errors.Is(err, errMalformed) {
		t.Fatalf("QoS 3: err = %v", err)
	}
	f := frame{raw: []byte{0x30, 0x03, 0x00, 0x05, 'a'}}
	f.body = f.raw[2:]
	if _, err := parsePublish(f); !errors.Is(err, errMalformed) {
		t.Fatalf("truncated topic: err = %v", err)
	}
}

func TestParseSubscribeUnsubscribe(t *testing.T) {
	filters := []string{"a/#", "b/+/c", strings.Repeat("x", 300)}
	raw := encodeSubscribe(9, filters...)
	f, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	got, qos, err := parseSubscribe(f.body)
	if err != nil || !slices.Equal(got, filters) || !slices.Equal(qos, []byte{1, 1, 1}) {
		t.Fatalf("parseSubscribe = %q %v %v", got, qos, err)
	}
	raw = encodeUnsubscribe(9, filters...)
	f, _ = readFrame(bufio.NewReader(bytes.NewReader(raw)), 1<<16)
	got, err = parseUnsubscribe(f.body)
	if err != nil || !slices.Equal(got, filters) {
		t.Fatalf("parseUnsubscribe = %q %v", got, err)
	}
	for _, body := range [][]byte{{0, 1}, {0, 1, 0, 3, 'a'}, {0}} {
		if _, _, err := parseSubscribe(body); !errors.Is(err, errMalformed) {
			t.Errorf("parseSubscribe(%v): err = %v", body, err)
		}
		if _, err := parseUnsubscribe(body); !errors.Is(err, errMalformed) {
			t.Errorf("parseUnsubscribe(%v): err = %v", body, err)
		}
	}
}

func TestEncodedReplies(t *testing.T) {
	if got := connack(5); !bytes.Equal(got, []byte{0x20, 2, 0, 5}) {
		t.Errorf("connack(5) = %v", got)
	}
	if got := puback(0x1234); !bytes.Equal(got, []byte{0x40, 2, 0x12, 0x34}) {
		t.Errorf("puback = %v", got)
	}
}
