package transport

import (
	"bytes"
	"math/bits"
	"sync"
)

// Pooled payload copies for the connected QoS 1 Send (reserveInline).
//
// Send copies a queued message's payload, because the caller may reuse
// its buffer once Send returns, even while the message is still queued or
// in flight. For a message acknowledged while its Send waits, the common
// case, that copy lives for one round trip; allocated each time, it was a
// fifth of what a 4 KiB QoS 1 Send allocates (19.7 KB per message with
// it, 15.6 KB without, paho's and the in-process broker's included),
// garbage a small device's collector has to keep up with. The copy goes
// back to a pool only after paho acknowledged the publish (paho drops its
// reference to a packet before it completes the token) and the outbox
// released the record (outbox.Claim.Done): nothing else holds it. A copy
// whose message ended any other way, or was handed to OnDrop, is left to
// the garbage collector.
const (
	// minPooledPayload is the smallest payload copied into a pooled
	// buffer: below it, an allocation costs less than the pool.
	minPooledPayload = 1 << 10
	// payloadClassCount is the number of pooled sizes: 1, 2, 4, ... KiB.
	payloadClassCount = 9
	// maxPooledPayload is the largest, 256 KiB: Azure IoT Hub's message
	// limit (AWS IoT Core's is half of it).
	maxPooledPayload = minPooledPayload << (payloadClassCount - 1)
)

// payloadClasses holds one pool per power of two from minPooledPayload to
// maxPooledPayload; every buffer in pool i has capacity minPooledPayload<<i.
// They are shared by every Conn of the process, like net/http's buffers:
// a gateway's leaf devices rarely all send at once.
var payloadClasses [payloadClassCount]sync.Pool

// payloadClass returns the index of the smallest class that holds n bytes,
// or -1 if n is not pooled.
func payloadClass(n int) int {
	if n < minPooledPayload || n > maxPooledPayload {
		return -1
	}
	return bits.Len(uint(n-1)) - bits.TrailingZeros(minPooledPayload)
}

// payloadCopy is a copy of a payload, perhaps in a pooled buffer.
type payloadCopy struct {
	b      []byte
	pooled *[]byte // the pooled buffer b is in, or nil
}

// copyPayload copies p, into a pooled buffer if its size is pooled.
func copyPayload(p []byte) payloadCopy {
	i := payloadClass(len(p))
	if i < 0 {
		return payloadCopy{b: bytes.Clone(p)}
	}
	buf, _ := payloadClasses[i].Get().(*[]byte)
	if buf == nil {
		b := make([]byte, minPooledPayload<<i)
		buf = &b
	}
	return payloadCopy{b: append((*buf)[:0], p...), pooled: buf}
}

// release returns the copy's buffer to its pool. Call it only when
// nothing holds the copy any more, and at most once.
func (c payloadCopy) release() {
	if c.pooled == nil {
		return
	}
	payloadClasses[payloadClass(cap(*c.pooled))].Put(c.pooled)
}
