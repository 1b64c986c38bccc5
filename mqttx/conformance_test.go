package mqttx_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/mosquittotest"
	"github.com/tether-iot/tether/internal/testcerts"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/mqttx/mqttxtest"
)

// One conformance suite, two brokers: every test below runs through mqttx.Client against the in-process
// fake (mqttxtest) and against a real mosquitto (Debian's package, started by mosquittotest). Where they
// disagree the fake is wrong. Without mosquitto the mosquitto half is skipped ("apt-get install
// mosquitto"), except with CI=true, where it fails.

// brokerTarget is a running broker with a plain TCP, a mutual-TLS and a WebSocket listener.
type brokerTarget interface {
	URL() string    // tcp://127.0.0.1:PORT
	TLSURL() string // tls://127.0.0.1:PORT; a client certificate signed by the broker's CA is required
	WSURL() string  // ws://127.0.0.1:PORT/mqtt
	// ClientTLSConfig trusts the broker and presents a client certificate with common name cn.
	ClientTLSConfig(cn string) *tls.Config
	// CA verifies the broker's server certificate (ServerName "localhost").
	CA() *x509.CertPool
}

// conformanceTargets starts a fresh broker per test, so that no retained message or session leaks
// from one test into another (a mosquitto with all three listeners starts in about 50 ms).
var conformanceTargets = []struct {
	name  string
	start func(t *testing.T) brokerTarget
}{
	{"fake", startFakeTarget},
	{"mosquitto", startMosquittoTarget},
}

var conformanceTests = []struct {
	name string
	run  func(t *testing.T, target brokerTarget)
}{
	{"Connect", testConnect},
	{"RoundTrip", testRoundTrip},
	{"Wildcards", testWildcards},
	{"Retained", testRetained},
	{"OverlappingSubscriptions", testOverlappingSubscriptions},
	{"PersistentSessionResume", testPersistentSessionResume},
	{"PersistentSessionRedeliversUnacked", testPersistentSessionRedeliversUnacked},
	{"ResubscribeAfterServerDrop", testResubscribeAfterServerDrop},
	{"Will", testWill},
	{"WillOnTakeover", testWillOnTakeover},
	{"NoWillOnGracefulReconnect", testNoWillOnGracefulReconnect},
	{"TLSClientCertificate", testTLSClientCertificate},
	{"WebSocket", testWebSocket},
}

func TestConformance(t *testing.T) {
	for _, target := range conformanceTargets {
		t.Run(target.name, func(t *testing.T) {
			for _, tc := range conformanceTests {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, target.start(t)) })
			}
		})
	}
}

type fakeTarget struct {
	t *testing.T
	b *mqttxtest.Broker
}

func startFakeTarget(t *testing.T) brokerTarget {
	b := mqttxtest.NewBroker(t, mqttxtest.WithTLS(), mqttxtest.WithClientCertAuth(), mqttxtest.WithWebSocket(""))
	return fakeTarget{t: t, b: b}
}

func (f fakeTarget) URL() string        { return f.b.URL() }
func (f fakeTarget) TLSURL() string     { return f.b.TLSURL() }
func (f fakeTarget) WSURL() string      { return f.b.WSURL() }
func (f fakeTarget) CA() *x509.CertPool { return f.b.CA() }

func (f fakeTarget) ClientTLSConfig(cn string) *tls.Config {
	f.t.Helper()
	cert, err := f.b.IssueClientCert(cn)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg := f.b.ClientTLSConfig()
	cfg.Certificates = []tls.Certificate{cert}
	return cfg
}

type mosquittoTarget struct{ b *mosquittotest.Broker }

func startMosquittoTarget(t *testing.T) brokerTarget {
	// Skips (or fails with CI=true) when mosquitto is not installed.
	b := mosquittotest.Start(t, mosquittotest.Config{TLS: true, WebSocket: true})
	return mosquittoTarget{b: b}
}

func (m mosquittoTarget) URL() string                           { return m.b.URL }
func (m mosquittoTarget) TLSURL() string                        { return m.b.TLSURL }
func (m mosquittoTarget) WSURL() string                         { return m.b.WSURL }
func (m mosquittoTarget) CA() *x509.CertPool                    { return m.b.CA.Pool() }
func (m mosquittoTarget) ClientTLSConfig(cn string) *tls.Config { return m.b.ClientTLSConfig(cn) }

// testConnect checks CONNACK's session-present flag through a sequence of connections with one client
// id: a persistent session is created, resumed, discarded by a clean session, and created again.
func testConnect(t *testing.T, target brokerTarget) {
	p := newWireProxy(t, target.URL())
	id := fmt.Sprintf("conformance-connect-%d", clientSeq.Add(1))
	steps := []struct {
		persistent  bool
		wantPresent bool
	}{
		{persistent: true, wantPresent: false},  // new session
		{persistent: true, wantPresent: true},   // resumed
		{persistent: false, wantPresent: false}, // clean session: the stored one is discarded
		{persistent: true, wantPresent: false},  // so nothing to resume
		{persistent: true, wantPresent: true},
	}
	for i, step := range steps {
		events := newEventLog()
		opts := testOptions(t, p.URL())
		opts.ClientID = id
		opts.PersistentSession = step.persistent
		opts.OnEvent = events.record
		c := newClient(t, opts)
		connect(t, c)
		if !c.IsConnected() {
			t.Fatalf("step %d: IsConnected false after Connect", i)
		}
		if ev := events.waitCount(t, mqttx.EventConnected, 1); ev.SessionPresent != step.wantPresent {
			t.Errorf("step %d (persistent %v): EventConnected.SessionPresent = %v, want %v",
				i, step.persistent, ev.SessionPresent, step.wantPresent)
		}
		disconnect(t, c)
	}
	var want []bool
	for _, s := range steps {
		want = append(want, s.wantPresent)
	}
	if got := p.sessionPresent(); !slices.Equal(got, want) {
		t.Errorf("CONNACK session-present flags on the wire = %v, want %v", got, want)
	}
}

// testRoundTrip publishes at QoS 0, 1 and 2 to subscriptions granted QoS 0, 1 and 2: the message
// arrives once, at the lower of the two, unchanged; binary, empty and large payloads survive.
func testRoundTrip(t *testing.T, target brokerTarget) {
	sub := connectedClient(t, target.URL())
	pub := connectedClient(t, target.URL())
	in := newInbox()
	for q := byte(0); q <= 2; q++ {
		mustSubscribe(t, sub, fmt.Sprintf("rt/sub%d", q), q, in)
	}
	for pq := byte(0); pq <= 2; pq++ {
		for sq := byte(0); sq <= 2; sq++ {
			topic := fmt.Sprintf("rt/sub%d", sq)
			payload := fmt.Sprintf("pub%d-sub%d", pq, sq)
			mustPublish(t, pub, topic, payload, pq, false)
			m := in.next(t)
			if m.Topic != topic || string(m.Payload) != payload {
				t.Fatalf("got %q=%q, want %q=%q", m.Topic, m.Payload, topic, payload)
			}
			if want := min(pq, sq); m.QoS != want {
				t.Errorf("publish QoS %d to a QoS %d subscription: delivered at QoS %d, want %d", pq, sq, m.QoS, want)
			}
			if m.Retained || m.Duplicate {
				t.Errorf("%s: Retained %v Duplicate %v, want false", payload, m.Retained, m.Duplicate)
			}
		}
	}

	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16) // remaining length needs 3 bytes
	for _, tc := range []struct {
		name    string
		payload []byte
	}{{"binary", binary}, {"empty", []byte{}}, {"64KiB", large}} {
		if err := pub.Publish(timeoutCtx(t, 10*time.Second), "rt/sub1", tc.payload, 1, false); err != nil {
			t.Fatalf("%s: Publish: %v", tc.name, err)
		}
		if m := in.next(t); !bytes.Equal(m.Payload, tc.payload) {
			t.Errorf("%s payload: got %d bytes, want %d", tc.name, len(m.Payload), len(tc.payload))
		}
	}
}

// testWildcards subscribes one client per filter and publishes a fixed set of topics: each filter gets
// exactly the topics MQTT 3.1.1 §4.7 matches, "$" topics are not matched by a filter starting with a
// wildcard, and the broker sends nothing else (checked on the wire).
func testWildcards(t *testing.T, target brokerTarget) {
	topics := []string{"w", "w/a", "w/a/b", "w/a/c", "w//c", "w/a/b/c", "x/a", "$w/a", "$w/a/c"}
	filters := []struct {
		filter string
		want   []string // in publish order
	}{
		{"w/+", []string{"w/a"}},
		{"w/#", []string{"w", "w/a", "w/a/b", "w/a/c", "w//c", "w/a/b/c"}},
		{"w/+/c", []string{"w/a/c", "w//c"}},
		{"+/a", []string{"w/a", "x/a"}},
		{"+/+/c", []string{"w/a/c", "w//c"}},
		{"#", []string{"w", "w/a", "w/a/b", "w/a/c", "w//c", "w/a/b/c", "x/a"}},
		{"$w/#", []string{"$w/a", "$w/a/c"}},
		{"$w/+/c", []string{"$w/a/c"}},
	}
	// A sentinel per filter, published last: once a subscriber has its own, it has everything before
	// it. Sentinel topics have a "zz" level, which no test topic has.
	sentinel := func(filter string) string {
		return strings.NewReplacer("+", "zz", "#", "zz").Replace(filter)
	}
	isSentinel := func(topic string) bool { return slices.Contains(strings.Split(topic, "/"), "zz") }

	type subscriber struct {
		proxy *wireProxy
		in    *inbox
	}
	subs := make([]subscriber, len(filters))
	for i, f := range filters {
		subs[i] = subscriber{proxy: newWireProxy(t, target.URL()), in: newInbox()}
		c := connectedClient(t, subs[i].proxy.URL())
		mustSubscribe(t, c, f.filter, 1, subs[i].in)
	}
	pub := connectedClient(t, target.URL())
	for _, topic := range topics {
		mustPublish(t, pub, topic, "m", 1, false)
	}
	for _, f := range filters {
		mustPublish(t, pub, sentinel(f.filter), "end", 1, false)
	}
	for i, f := range filters {
		var handled []string
		for _, m := range subs[i].in.until(t, sentinel(f.filter)) {
			if !isSentinel(m.Topic) {
				handled = append(handled, m.Topic)
			}
		}
		if !slices.Equal(handled, f.want) {
			t.Errorf("filter %q: handler got %q, want %q", f.filter, handled, f.want)
		}
		var wire []string
		for _, w := range subs[i].proxy.publishes() {
			if !isSentinel(w.Topic) {
				wire = append(wire, w.Topic)
			}
		}
		if !slices.Equal(wire, f.want) {
			t.Errorf("filter %q: broker sent %q, want %q", f.filter, wire, f.want)
		}
	}
}

// testRetained sets, replaces and clears a retained message: a new subscription (exact or wildcard)
// receives the current one with RETAIN set, at the lower of its QoS and the subscription's; live
// deliveries to existing subscriptions have RETAIN clear; an empty retained payload clears it and is
// still delivered to existing subscribers; a "#" subscription gets no retained "$" message.
func testRetained(t *testing.T, target brokerTarget) {
	pub := connectedClient(t, target.URL())
	mustPublish(t, pub, "r/a", "v1", 1, true)
	mustPublish(t, pub, "$r/a", "dollar", 1, true)

	// subscribeAndCollect subscribes a new client and returns what the broker sent it on subscription:
	// a live, non-retained sentinel on a topic the filter matches ends the collection.
	subscribeAndCollect := func(filter string, qos byte) (*inbox, []mqttx.Message) {
		t.Helper()
		c := connectedClient(t, target.URL())
		in := newInbox()
		mustSubscribe(t, c, filter, qos, in)
		sentinelTopic := "r/a"
		if strings.HasPrefix(filter, "$") {
			sentinelTopic = "$r/a"
		}
		mustPublish(t, pub, sentinelTopic, "sentinel", 0, false)
		got := in.untilMatch(t, func(m mqttx.Message) bool { return string(m.Payload) == "sentinel" })
		return in, got[:len(got)-1]
	}
	// live returns the next message of an earlier subscriber, skipping the sentinels of later
	// subscribeAndCollect calls.
	live := func(in *inbox) mqttx.Message {
		t.Helper()
		for {
			if m := in.next(t); string(m.Payload) != "sentinel" {
				return m
			}
		}
	}
	wantRetained := func(what string, got []mqttx.Message, payload string, qos byte) {
		t.Helper()
		if len(got) != 1 || string(got[0].Payload) != payload || !got[0].Retained || got[0].QoS != qos || got[0].Topic != "r/a" {
			t.Errorf("%s: got %v, want [r/a=%s(q%d,r)]", what, summary(got), payload, qos)
		}
	}

	exact, got := subscribeAndCollect("r/a", 1)
	wantRetained("exact subscription", got, "v1", 1)
	wild, got := subscribeAndCollect("r/#", 1)
	wantRetained("wildcard subscription", got, "v1", 1)
	_, got = subscribeAndCollect("r/+", 0)
	wantRetained("QoS 0 subscription", got, "v1", 0)
	_, got = subscribeAndCollect("#", 1)
	wantRetained(`"#" subscription (no "$r/a")`, got, "v1", 1)

	mustPublish(t, pub, "r/a", "v2", 1, true)
	for name, in := range map[string]*inbox{"exact": exact, "wildcard": wild} {
		if m := live(in); string(m.Payload) != "v2" || m.Retained {
			t.Errorf("%s subscription, live retained publish: got %v, want [r/a=v2(q1)] with RETAIN clear",
				name, summary([]mqttx.Message{m}))
		}
	}
	_, got = subscribeAndCollect("r/a", 1)
	wantRetained("after replacement", got, "v2", 1)

	mustPublish(t, pub, "r/a", "", 1, true) // clears
	for name, in := range map[string]*inbox{"exact": exact, "wildcard": wild} {
		if m := live(in); m.Topic != "r/a" || len(m.Payload) != 0 || m.Retained {
			t.Errorf("%s subscription, clearing publish: got %v, want an empty r/a with RETAIN clear",
				name, summary([]mqttx.Message{m}))
		}
	}
	if _, got = subscribeAndCollect("r/#", 1); len(got) != 0 {
		t.Errorf("after clearing: a new subscription got %v, want nothing", summary(got))
	}
	if _, got = subscribeAndCollect("$r/#", 1); len(got) != 1 || string(got[0].Payload) != "dollar" || !got[0].Retained {
		t.Errorf(`"$r/#" subscription: got %v, want [$r/a=dollar(q1,r)]`, summary(got))
	}
}

// testOverlappingSubscriptions subscribes one client to two filters matching the same topic: the
// broker sends one copy (mosquitto's behaviour; MQTT 3.1.1 §3.3.5 allows one per subscription) at the
// highest QoS the matching subscriptions grant (MQTT-3.3.5-1), and mqttx hands that copy to both
// handlers.
//
// mosquitto 2.0.11 actually uses the QoS of the first matching subscription in its subscription-tree
// search (at each level: exact name, then "+", then "#"; "a/#" matching its parent "a" before "a"), so
// with "ov/#" at QoS 1 and "ov/+" at QoS 0 it delivers at QoS 0, violating MQTT-3.3.5-1 (reported as
// eclipse-mosquitto/mosquitto#3319). The fake follows the specification; the subscriptions below are
// ordered so that mosquitto 2.0.11 complies too.
func testOverlappingSubscriptions(t *testing.T, target brokerTarget) {
	p := newWireProxy(t, target.URL())
	c := connectedClient(t, p.URL())
	hash, plus := newInbox(), newInbox()
	mustSubscribe(t, c, "ov/#", 0, hash)
	mustSubscribe(t, c, "ov/+", 1, plus)
	pub := connectedClient(t, target.URL())
	mustPublish(t, pub, "ov/a", "both", 1, false)
	mustPublish(t, pub, "ov/zz", "end", 1, false)
	for name, in := range map[string]*inbox{"ov/#": hash, "ov/+": plus} {
		if got := in.until(t, "ov/zz"); len(got) != 2 || got[0].Topic != "ov/a" {
			t.Errorf("%q handler got %v, want ov/a once, then the sentinel ov/zz", name, summary(got))
		}
	}
	var copies []wirePublish
	for _, w := range p.publishes() {
		if w.Topic == "ov/a" {
			copies = append(copies, w)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("the broker sent %d copies of ov/a (%+v), want 1", len(copies), copies)
	}
	if copies[0].QoS != 1 {
		t.Errorf("the one copy was sent at QoS %d, want 1 (the highest granted)", copies[0].QoS)
	}
}

// testPersistentSessionResume: a persistent client subscribes and disconnects; QoS 1 messages published
// while it is away are queued (QoS 0 ones are not) and delivered exactly once, in order, when it
// comes back; CONNACK says the session was present.
func testPersistentSessionResume(t *testing.T, target brokerTarget) {
	id := fmt.Sprintf("conformance-resume-%d", clientSeq.Add(1))
	opts := testOptions(t, target.URL())
	opts.ClientID, opts.PersistentSession = id, true
	first := newClient(t, opts)
	mustSubscribe(t, first, "ps/#", 1, newInbox())
	connect(t, first)
	disconnect(t, first)

	pub := connectedClient(t, target.URL())
	for _, m := range []struct {
		topic string
		qos   byte
	}{{"ps/1", 1}, {"ps/qos0", 0}, {"ps/2", 1}, {"ps/3", 1}} {
		mustPublish(t, pub, m.topic, "away", m.qos, false)
	}

	p := newWireProxy(t, target.URL())
	events := newEventLog()
	opts = testOptions(t, p.URL())
	opts.ClientID, opts.PersistentSession, opts.OnEvent = id, true, events.record
	back := newClient(t, opts)
	in := newInbox()
	mustSubscribe(t, back, "ps/#", 1, in) // registered before Connect: handles what the session queued
	connect(t, back)
	if ev := events.waitCount(t, mqttx.EventConnected, 1); !ev.SessionPresent {
		t.Error("EventConnected.SessionPresent = false on resuming a persistent session")
	}
	mustPublish(t, pub, "ps/end", "end", 1, false)

	var topics []string
	for _, m := range in.until(t, "ps/end") {
		topics = append(topics, m.Topic)
	}
	if want := []string{"ps/1", "ps/2", "ps/3", "ps/end"}; !slices.Equal(topics, want) {
		t.Errorf("after resume the handler got %q, want %q (queued QoS 1 once each, in order; no QoS 0)", topics, want)
	}
	for _, topic := range []string{"ps/1", "ps/2", "ps/3"} {
		if n := p.countPublishes(topic, "away"); n != 1 {
			t.Errorf("the broker sent %s %d times after resume, want exactly once", topic, n)
		}
	}
}

// testPersistentSessionRedeliversUnacked: a QoS 1 message sent to a persistent client that never
// acknowledged it (the connection dropped first) is sent again with DUP set when the client resumes,
// and one published while the client was away is delivered too; the handler sees each exactly once.
func testPersistentSessionRedeliversUnacked(t *testing.T, target brokerTarget) {
	p := newWireProxy(t, target.URL())
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.PersistentSession = true
	opts.OnEvent = events.record
	c := newClient(t, opts)
	in := newInbox()
	mustSubscribe(t, c, "pd/#", 1, in)
	connect(t, c)
	pub := connectedClient(t, target.URL())

	p.Blackhole(true) // the broker's PUBLISH never reaches the client, so it is never acknowledged
	mustPublish(t, pub, "pd/unacked", "m1", 1, false)
	p.waitPublish(t, "PUBLISH pd/unacked", func(w wirePublish) bool { return w.Topic == "pd/unacked" })
	p.Blackhole(false)
	p.Down(true)
	p.Cut()
	events.waitCount(t, mqttx.EventConnectionLost, 1)
	mustPublish(t, pub, "pd/away", "m2", 1, false)
	p.Down(false)

	if ev := events.waitCount(t, mqttx.EventConnected, 2); !ev.SessionPresent {
		t.Error("EventConnected.SessionPresent = false on resuming a persistent session")
	}
	mustPublish(t, pub, "pd/end", "end", 1, false)
	got := in.until(t, "pd/end")
	var topics []string
	for _, m := range got {
		topics = append(topics, m.Topic)
	}
	if want := []string{"pd/unacked", "pd/away", "pd/end"}; !slices.Equal(topics, want) {
		t.Fatalf("handler got %v, want %q once each", summary(got), want)
	}
	if !got[0].Duplicate {
		t.Error("the redelivered unacknowledged message has DUP clear, want set")
	}
	var redelivered []wirePublish
	for _, w := range p.publishes() {
		if w.Topic == "pd/unacked" && w.Conn > 1 {
			redelivered = append(redelivered, w)
		}
	}
	if len(redelivered) != 1 || !redelivered[0].Dup {
		t.Errorf("after resume the broker sent pd/unacked as %+v, want once with DUP", redelivered)
	}
	if n := p.countPublishes("pd/away", "m2"); n != 1 {
		t.Errorf("the broker sent pd/away %d times, want once", n)
	}
}

// testResubscribeAfterServerDrop: the connection of a clean-session client drops; mqttx reconnects
// (no session present) and restores every filter of its registry.
func testResubscribeAfterServerDrop(t *testing.T, target brokerTarget) {
	p := newWireProxy(t, target.URL())
	events := newEventLog()
	opts := testOptions(t, p.URL())
	opts.OnEvent = events.record
	c := newClient(t, opts)
	in := newInbox()
	for _, f := range []string{"rs/a", "rs/b/+", "rs/c/#"} {
		mustSubscribe(t, c, f, 1, in)
	}
	connect(t, c)
	pub := connectedClient(t, target.URL())
	check := func(round string) {
		t.Helper()
		for _, topic := range []string{"rs/a", "rs/b/x", "rs/c/y/z"} {
			mustPublish(t, pub, topic, round, 1, false)
			if m := in.next(t); m.Topic != topic || string(m.Payload) != round {
				t.Fatalf("%s: got %q=%q, want %q=%q", round, m.Topic, m.Payload, topic, round)
			}
		}
	}
	check("before")
	p.Cut()
	events.waitCount(t, mqttx.EventConnectionLost, 1)
	if ev := events.waitCount(t, mqttx.EventConnected, 2); ev.SessionPresent {
		t.Error("EventConnected.SessionPresent = true for a clean session")
	}
	check("after")
	if n := events.count(mqttx.EventSubscribeFailed); n != 0 {
		t.Errorf("%d EventSubscribeFailed", n)
	}
}

// testWill: a connection that drops without DISCONNECT has its will published (once, with its QoS and
// RETAIN); a client that disconnects cleanly has its will discarded.
func testWill(t *testing.T, target brokerTarget) {
	watcher := connectedClient(t, target.URL())
	wills := newInbox()
	mustSubscribe(t, watcher, "will/#", 1, wills)

	p := newWireProxy(t, target.URL())
	opts := testOptions(t, p.URL())
	opts.Will = &mqttx.Message{Topic: "will/cut", Payload: []byte("gone"), QoS: 1, Retained: true}
	connect(t, newClient(t, opts))

	opts = testOptions(t, target.URL())
	opts.Will = &mqttx.Message{Topic: "will/clean", Payload: []byte("never"), QoS: 1}
	clean := newClient(t, opts)
	connect(t, clean)
	disconnect(t, clean)

	p.Cut()
	m := wills.next(t)
	if m.Topic != "will/cut" || string(m.Payload) != "gone" || m.QoS != 1 {
		t.Fatalf("got %v, want the will will/cut=gone(q1)", summary([]mqttx.Message{m}))
	}
	time.Sleep(quietPeriod)
	pub := connectedClient(t, target.URL())
	mustPublish(t, pub, "will/zz", "end", 1, false)
	if rest := wills.until(t, "will/zz"); len(rest) != 1 {
		t.Errorf("after the will: %v, want only the sentinel (no second will, no will on DISCONNECT)", summary(rest))
	}

	late := connectedClient(t, target.URL())
	retained := newInbox()
	mustSubscribe(t, late, "will/cut", 1, retained)
	if m := retained.next(t); string(m.Payload) != "gone" || !m.Retained {
		t.Errorf("a new subscriber got %v, want the retained will", summary([]mqttx.Message{m}))
	}
}

// testWillOnTakeover: a second connection with the client id of a connected client closes the first;
// the first connection's will is published unless its session lives on (both connections
// persistent), as mosquitto does (MQTT 3.1.1 leaves the will on takeover open).
func testWillOnTakeover(t *testing.T, target brokerTarget) {
	watcher := connectedClient(t, target.URL())
	wills := newInbox()
	mustSubscribe(t, watcher, "will/#", 1, wills)
	pub := connectedClient(t, target.URL())
	for i, tc := range []struct {
		oldPersistent, newPersistent, wantWill bool
	}{
		{oldPersistent: false, newPersistent: false, wantWill: true},
		{oldPersistent: true, newPersistent: false, wantWill: true},
		{oldPersistent: false, newPersistent: true, wantWill: true},
		{oldPersistent: true, newPersistent: true, wantWill: false},
	} {
		p := newWireProxy(t, target.URL())
		events := newEventLog()
		opts := testOptions(t, p.URL())
		opts.PersistentSession = tc.oldPersistent
		opts.Will = &mqttx.Message{Topic: fmt.Sprintf("will/%d", i), Payload: []byte("gone"), QoS: 1}
		opts.OnEvent = events.record
		connect(t, newClient(t, opts))
		p.Down(true) // the first client cannot come back and take over in turn

		second := testOptions(t, target.URL())
		second.ClientID, second.PersistentSession = opts.ClientID, tc.newPersistent
		connect(t, newClient(t, second))
		events.waitCount(t, mqttx.EventConnectionLost, 1) // the broker closed the first connection

		// The broker routes the will before it accepts the new connection.
		sentinel := fmt.Sprintf("will/zz%d", i)
		mustPublish(t, pub, sentinel, "end", 1, false)
		var got []string
		for _, m := range wills.until(t, sentinel) {
			got = append(got, m.Topic)
		}
		want := []string{sentinel}
		if tc.wantWill {
			want = []string{opts.Will.Topic, sentinel}
		}
		if !slices.Equal(got, want) {
			t.Errorf("old connection persistent %v, new persistent %v: watcher got %q, want %q",
				tc.oldPersistent, tc.newPersistent, got, want)
		}
	}
}

// testNoWillOnGracefulReconnect: a client that sends DISCONNECT and reconnects at once with the same
// client id (mqttx's Reconnect) never has its will published: the broker handles the DISCONNECT before
// the new CONNECT. Repeated, because a broker reading connections concurrently may get it wrong only
// sometimes.
func testNoWillOnGracefulReconnect(t *testing.T, target brokerTarget) {
	watcher := connectedClient(t, target.URL())
	wills := newInbox()
	mustSubscribe(t, watcher, "will/#", 1, wills)
	opts := testOptions(t, target.URL())
	opts.Will = &mqttx.Message{Topic: "will/" + opts.ClientID, Payload: []byte("gone"), QoS: 1}
	c := newClient(t, opts)
	connect(t, c)
	for i := 0; i < 20; i++ {
		mustPublish(t, c, "busy", "x", 1, false)
		if err := c.Reconnect(timeoutCtx(t, 10*time.Second)); err != nil {
			t.Fatalf("Reconnect %d: %v", i, err)
		}
	}
	mustPublish(t, c, "will/zz", "end", 1, false)
	if got := wills.until(t, "will/zz"); len(got) != 1 {
		t.Errorf("watcher got %v, want only the sentinel (no will)", summary(got))
	}
}

// testTLSClientCertificate: the TLS listener accepts a client certificate signed by the broker's CA
// and refuses a connection without one or with one from another CA.
func testTLSClientCertificate(t *testing.T, target brokerTarget) {
	opts := testOptions(t, target.TLSURL())
	opts.TLSConfig = target.ClientTLSConfig("device-1")
	c := newClient(t, opts)
	connect(t, c)
	in := newInbox()
	mustSubscribe(t, c, "tls/x", 1, in)
	mustPublish(t, c, "tls/x", "over tls", 1, false)
	if m := in.next(t); string(m.Payload) != "over tls" {
		t.Fatalf("got %q", m.Payload)
	}

	foreign, err := testcerts.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	foreignCert, err := foreign.ClientCert("device-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
	}{{"without a client certificate", nil}, {"with a certificate from another CA", []tls.Certificate{foreignCert}}} {
		events := newEventLog()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		opts := testOptions(t, target.TLSURL())
		opts.TLSConfig = &tls.Config{RootCAs: target.CA(), ServerName: "localhost", MinVersion: tls.VersionTLS12, Certificates: tc.certs}
		opts.OnEvent = func(e mqttx.Event) {
			events.record(e)
			if e.Kind == mqttx.EventConnectFailed {
				cancel() // one refused attempt is enough
			}
		}
		c := newClient(t, opts)
		err := c.Connect(ctx)
		cancel()
		if err == nil {
			t.Errorf("%s: connected", tc.name)
		}
		if n := events.count(mqttx.EventConnected); n != 0 || events.count(mqttx.EventConnectFailed) == 0 {
			t.Errorf("%s: %d connections, %d failed attempts; want 0 and at least 1",
				tc.name, n, events.count(mqttx.EventConnectFailed))
		}
	}
}

// testWebSocket: MQTT over a WebSocket listener, both directions and across transports.
func testWebSocket(t *testing.T, target brokerTarget) {
	ws := connectedClient(t, target.WSURL())
	tcp := connectedClient(t, target.URL())
	wsIn, tcpIn := newInbox(), newInbox()
	mustSubscribe(t, ws, "ws/#", 1, wsIn)
	mustSubscribe(t, tcp, "ws/#", 1, tcpIn)
	// mosquitto 2.0.11's WebSocket listener moves about 4 KiB per 100 ms main-loop turn (100 KiB took
	// 2.3 s each way), so the payload stays under 4 KiB; the fake's frame handling is tested in mqttxtest.
	large := strings.Repeat("websocket", 3000/9)
	for _, tc := range []struct {
		from    *mqttx.Client
		name    string
		payload string
		qos     byte
	}{{ws, "from-ws", "small", 0}, {ws, "from-ws", large, 1}, {tcp, "from-tcp", large, 1}} {
		mustPublish(t, tc.from, "ws/"+tc.name, tc.payload, tc.qos, false)
		for dest, in := range map[string]*inbox{"ws": wsIn, "tcp": tcpIn} {
			if m := in.next(t); m.Topic != "ws/"+tc.name || string(m.Payload) != tc.payload || m.QoS != tc.qos {
				t.Errorf("%s at QoS %d to the %s client: got %s with %d bytes at QoS %d",
					tc.name, tc.qos, dest, m.Topic, len(m.Payload), m.QoS)
			}
		}
	}
}
