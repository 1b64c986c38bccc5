package awsiottest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The emulator's gateway looks into the packets a device sends before they
// reach the broker (mqttxtest, which does the real decoding), the way AWS's
// device gateway applies the message broker's limits. This file holds the
// little MQTT 3.1.1 it needs: splitting the byte stream into control
// packets and reading the fields AWS checks. Only mqttx and mqttxtest may
// import paho's codec, hence these few functions.

// MQTT 3.1.1 control packet types (§2.2.1).
const (
	packetConnect     = 1
	packetPublish     = 3
	packetPuback      = 4
	packetSubscribe   = 8
	packetUnsubscribe = 10
)

var (
	errMalformed = errors.New("awsiottest: malformed MQTT packet")
	// errFrameTooLarge is returned by readFrame for a packet over its limit;
	// the packet is not read.
	errFrameTooLarge = errors.New("awsiottest: MQTT packet too large")
)

// frame is one control packet: its fixed header and body.
type frame struct {
	raw  []byte // the whole packet
	body []byte // raw after the fixed header
}

func (f frame) kind() byte  { return f.raw[0] >> 4 }
func (f frame) flags() byte { return f.raw[0] & 0x0f }

// readFrame reads one control packet whose remaining length is at most
// limit. A larger packet is not read: the error wraps errFrameTooLarge
// and the frame's raw holds the fixed header only.
func readFrame(r *bufio.Reader, limit int) (frame, error) {
	first, err := r.ReadByte()
	if err != nil {
		return frame{}, err
	}
	hdr := []byte{first}
	n, mult := 0, 1
	for i := 0; ; i++ {
		if i == 4 {
			return frame{}, fmt.Errorf("%w: remaining length over 4 bytes", errMalformed)
		}
		b, err := r.ReadByte()
		if err != nil {
			return frame{}, noEOF(err)
		}
		hdr = append(hdr, b)
		n += int(b&0x7f) * mult
		if b&0x80 == 0 {
			break
		}
		mult *= 128
	}
	if n > limit {
		return frame{raw: hdr}, fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	raw := make([]byte, len(hdr)+n)
	copy(raw, hdr)
	if _, err := io.ReadFull(r, raw[len(hdr):]); err != nil {
		return frame{}, noEOF(err)
	}
	return frame{raw: raw, body: raw[len(hdr):]}, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decoder reads the fields of a packet body; the first failure sticks.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) u8() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u16() uint16 {
	if len(d.b) < 2 {
		d.bad = true
		return 0
	}
	v := uint16(d.b[0])<<8 | uint16(d.b[1])
	d.b = d.b[2:]
	return v
}

// bytes reads a length-prefixed field (§1.5.3).
func (d *decoder) bytes() []byte {
	n := int(d.u16())
	if d.bad || len(d.b) < n {
		d.bad = true
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) err(what string) error {
	if d.bad {
		return fmt.Errorf("%w: truncated %s", errMalformed, what)
	}
	return nil
}

// connectPacket holds the CONNECT fields the gateway checks.
type connectPacket struct {
	protocol     string
	level        byte
	cleanSession bool
	keepAlive    uint16
	keepAliveAt  int // offset of the keepalive in the body
	clientID     string
	will         bool
	willQoS      byte
	willTopic    string
	username     string
	hasUsername  bool
	password     []byte
	hasPassword  bool
}

func parseConnect(body []byte) (connectPacket, error) {
	d := decoder{b: body}
	var c connectPacket
	c.protocol = d.str()
	c.level = d.u8()
	flags := d.u8()
	c.keepAliveAt = len(body) - len(d.b)
	c.keepAlive = d.u16()
	c.cleanSession = flags&0x02 != 0
	c.will = flags&0x04 != 0
	c.willQoS = flags >> 3 & 0x03
	c.hasPassword = flags&0x40 != 0
	c.hasUsername = flags&0x80 != 0
	c.clientID = d.str()
	if c.will {
		c.willTopic = d.str()
		d.bytes()
	}
	if c.hasUsername {
		c.username = d.str()
	}
	if c.hasPassword {
		c.password = d.bytes()
	}
	return c, d.err("CONNECT")
}

// publishPacket holds a PUBLISH's fields.
type publishPacket struct {
	topic    string
	qos      byte
	retain   bool
	packetID uint16
	payload  []byte
}

func parsePublish(f frame) (publishPacket, error) {
	p := publishPacket{qos: f.flags() >> 1 & 0x03, retain: f.flags()&0x01 != 0}
	if p.qos == 3 {
		return p, fmt.Errorf("%w: PUBLISH with QoS 3", errMalformed)
	}
	d := decoder{b: f.body}
	p.topic = d.str()
	if p.qos > 0 {
		p.packetID = d.u16()
	}
	p.payload = d.b
	return p, d.err("PUBLISH")
}

// parseSubscribe returns the filters and requested QoS of a SUBSCRIBE.
func parseSubscribe(body []byte) (filters []string, qos []byte, err error) {
	d := decoder{b: body}
	d.u16()
	for len(d.b) > 0 && !d.bad {
		filters = append(filters, d.str())
		qos = append(qos, d.u8())
	}
	if err := d.err("SUBSCRIBE"); err != nil {
		return nil, nil, err
	}
	if len(filters) == 0 {
		return nil, nil, fmt.Errorf("%w: SUBSCRIBE without filters", errMalformed)
	}
	return filters, qos, nil
}

// parseUnsubscribe returns the filters of an UNSUBSCRIBE.
func parseUnsubscribe(body []byte) ([]string, error) {
	d := decoder{b: body}
	d.u16()
	var filters []string
	for len(d.b) > 0 && !d.bad {
		filters = append(filters, d.str())
	}
	if err := d.err("UNSUBSCRIBE"); err != nil {
		return nil, err
	}
	if len(filters) == 0 {
		return nil, fmt.Errorf("%w: UNSUBSCRIBE without filters", errMalformed)
	}
	return filters, nil
}

// connack is a CONNACK packet with a return code.
func connack(code byte) []byte { return []byte{0x20, 0x02, 0x00, code} }

// puback is a PUBACK packet.
func puback(id uint16) []byte { return []byte{packetPuback << 4, 0x02, byte(id >> 8), byte(id)} }
