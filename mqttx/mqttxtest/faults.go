package mqttxtest

import (
	"math/rand/v2"
	"time"
)

// faults holds the injected faults; guarded by Broker.fmu.
type faults struct {
	after      map[string]int // DisconnectAfter for clients not connected yet
	withhold   map[string]bool
	ackDelay   time.Duration
	refuseCode byte
	refuseN    int // CONNECTs left to refuse; negative: all
	duplicate  bool
	dropP      float64
	rng        *rand.Rand
}

func newFaults() faults {
	return faults{after: make(map[string]int), withhold: make(map[string]bool)}
}

// Disconnect closes the client's connection now, as a network failure would: no packet is sent and its
// will is published. It reports whether the client was connected.
func (b *Broker) Disconnect(clientID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.clients[clientID]
	if c == nil {
		return false
	}
	b.dropLocked(c, true, errFault)
	return true
}

// DisconnectAfter closes the client's connection after n more packets in either direction: the n-th is
// read and handled, or written, and nothing passes after it. For a client not connected it applies to
// its next connection, counting from CONNACK. n <= 0 closes a connected client now, or cancels a
// pending DisconnectAfter.
func (b *Broker) DisconnectAfter(clientID string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.clients[clientID]
	if c == nil {
		b.fmu.Lock()
		if n > 0 {
			b.faults.after[clientID] = n
		} else {
			delete(b.faults.after, clientID)
		}
		b.fmu.Unlock()
		return
	}
	if n <= 0 {
		b.dropLocked(c, true, errFault)
		return
	}
	c.setBudget(n)
}

func (b *Broker) takeDisconnectAfter(clientID string) (int, bool) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	n, ok := b.faults.after[clientID]
	delete(b.faults.after, clientID)
	return n, ok
}

// DropRandomly closes connections at random packets: after each packet in either direction following
// CONNECT, with probability p, drawn from a generator seeded with seed (a single client's run is
// reproducible). p <= 0 disables it.
func (b *Broker) DropRandomly(seed int64, p float64) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.faults.dropP = p
	b.faults.rng = nil
	if p > 0 {
		b.faults.rng = rand.New(rand.NewPCG(uint64(seed), 0x6d717474))
	}
}

func (b *Broker) randomDrop() bool {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.faults.rng != nil && b.faults.rng.Float64() < b.faults.dropP
}

// WithholdAcks stops (on) or resumes (off) acknowledging the client's QoS 1 and 2 PUBLISH packets
// (PUBACK, PUBREC); the messages are still routed. Withheld acknowledgements are never sent. It lasts
// across the client's connections.
func (b *Broker) WithholdAcks(clientID string, on bool) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	if on {
		b.faults.withhold[clientID] = true
	} else {
		delete(b.faults.withhold, clientID)
	}
}

// DelayAcks delays every PUBACK and PUBREC by d, keeping their order (0 disables).
func (b *Broker) DelayAcks(d time.Duration) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.faults.ackDelay = d
}

func (b *Broker) ackFaults(clientID string) (withhold bool, delay time.Duration) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.faults.withhold[clientID], b.faults.ackDelay
}

// RefuseConnect answers the next n well-formed CONNECTs with CONNACK code (and closes them) before the
// authenticator runs; n < 0 refuses all until RefuseConnect is called with n = 0, and code 0 disables it.
func (b *Broker) RefuseConnect(code byte, n int) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	if code == 0 {
		n = 0
	}
	b.faults.refuseCode, b.faults.refuseN = code, n
}

func (b *Broker) takeRefusal() (byte, bool) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	if b.faults.refuseN == 0 {
		return 0, false
	}
	if b.faults.refuseN > 0 {
		b.faults.refuseN--
	}
	return b.faults.refuseCode, true
}

// DuplicateDeliveries makes every new outbound QoS 1 delivery go out twice with the same packet id, the
// second with DUP set, as a broker retransmitting does.
func (b *Broker) DuplicateDeliveries(on bool) {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.faults.duplicate = on
}

func (b *Broker) duplicating() bool {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	return b.faults.duplicate
}
