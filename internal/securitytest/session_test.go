package securitytest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/securitytest"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// testTimeout bounds every wait of these tests.
const testTimeout = 15 * time.Second

// failTimeout bounds a connection attempt expected to fail by retrying (a
// TLS or WebSocket handshake the server refuses) rather than with a
// CONNACK refusal.
const failTimeout = 1500 * time.Millisecond

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// markers are fixed strings only secrets carry: found anywhere, they mean
// a secret leaked whatever its value.
var markers = []securitytest.Secret{
	{Name: "private key PEM", Value: "PRIVATE KEY", Marker: true},
	{Name: "SAS token", Value: "SharedAccessSignature", Marker: true},
	{Name: "SAS token signature parameter", Value: "&sig=", Marker: true},
	{Name: "SAS token signature parameter (escaped)", Value: "%26sig%3D", Marker: true},
	{Name: "SigV4 signature parameter", Value: "X-Amz-Signature=", Marker: true},
	{Name: "SigV4 session token parameter", Value: "X-Amz-Security-Token=", Marker: true},
	{Name: "custom authorizer signature parameter", Value: "x-amz-customauthorizer-signature=", Marker: true},
}

// session captures everything a whole session with one adapter shows the
// outside world: every log record (Recorder: the adapter's, mqttx's and
// the emulator's), every error returned, every event's Err and the
// printed configurations; check scans it all.
type session struct {
	t   *testing.T
	rec *securitytest.Recorder

	mu      sync.Mutex
	texts   []captured
	secrets []securitytest.Secret
}

type captured struct{ source, text string }

func newSession(t *testing.T) *session {
	return &session{t: t, rec: securitytest.NewRecorder(), secrets: append([]securitytest.Secret(nil), markers...)}
}

// logger is the Debug (and below) logger to give the adapter.
func (s *session) logger() *slog.Logger { return s.rec.Logger() }

// secret adds values that must not show.
func (s *session) secret(secrets ...[]securitytest.Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range secrets {
		s.secrets = append(s.secrets, ss...)
	}
}

func (s *session) text(source, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, captured{source, text})
}

// err records err as every way it prints, and every error it wraps, since
// a caller may print errors.Unwrap(err) or what errors.As finds.
func (s *session) err(source string, err error) {
	if err == nil {
		return
	}
	s.text(source, fmt.Sprintf("%v | %+v | %#v", err, err, err))
	s.causes(source, err, 0)
}

func (s *session) causes(source string, err error, depth int) {
	if depth > 20 {
		return
	}
	var next []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if c := u.Unwrap(); c != nil {
			next = append(next, c)
		}
	case interface{ Unwrap() []error }:
		next = u.Unwrap()
	}
	for _, c := range next {
		if c == nil || isNilPointer(c) {
			continue
		}
		s.text(fmt.Sprintf("%s (wrapped %T)", source, c), fmt.Sprintf("%v | %+v | %#v", c, c, c))
		s.causes(source, c, depth+1)
	}
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// printed records v as fmt prints it with %v, %+v, %#v and %s, and as
// log/slog logs it.
func (s *session) printed(source string, v any) {
	s.text(source, fmt.Sprintf("%v | %+v | %#v | %s | %d", v, v, v, v, v))
	s.rec.Logger().Info("printed", "source", source, "value", v)
}

// check fails the test for every secret found in what was captured.
func (s *session) check() {
	s.t.Helper()
	if s.rec.Records() == 0 {
		s.t.Fatal("nothing was logged: the logger is not wired")
	}
	s.mu.Lock()
	texts := append([]captured{{"log records", s.rec.Text()}}, s.texts...)
	secrets := s.secrets
	s.mu.Unlock()
	n := 0
	for _, c := range texts {
		for _, f := range securitytest.Scan(c.source, c.text, secrets) {
			s.t.Error(f)
			n++
		}
	}
	s.t.Logf("scanned %d log records and %d other texts for %d secret forms: %d findings",
		s.rec.Records(), len(texts)-1, len(secrets), n)
}

// events records a transport's events, capturing their errors.
type events struct {
	s  *session
	ch chan transport.Event

	mu    sync.Mutex
	count map[transport.EventKind]int
}

func (s *session) watch(name string, conn *transport.Conn) *events {
	e := &events{s: s, ch: make(chan transport.Event, 1024), count: make(map[transport.EventKind]int)}
	conn.Watch(func(ev transport.Event) {
		source := fmt.Sprintf("%s: %v event", name, ev.Kind)
		s.text(source, fmt.Sprintf("%+v", ev))
		s.err(source+" Err", ev.Err)
		e.mu.Lock()
		e.count[ev.Kind]++
		e.mu.Unlock()
		select {
		case e.ch <- ev:
		default:
		}
	})
	return e
}

// wait returns the next event of kind that ok accepts (nil: any).
func (e *events) wait(kind transport.EventKind, ok func(transport.Event) bool) transport.Event {
	e.s.t.Helper()
	timeout := time.NewTimer(testTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev := <-e.ch:
			if ev.Kind == kind && (ok == nil || ok(ev)) {
				return ev
			}
		case <-timeout.C:
			e.s.t.Fatalf("no %v event within %v", kind, testTimeout)
		}
	}
}

// scenario is one adapter's whole session.
type scenario struct {
	// good and bad build a transport with the right credentials and with
	// wrong ones, logging to log.
	good, bad func(log *slog.Logger) (*transport.Conn, error)
	// badRefused: the wrong credentials get a CONNACK refusal (Connect
	// returns at once) rather than a handshake failure retried until the
	// context ends.
	badRefused bool
	// drop closes the connection at the server.
	drop func() bool
	// renews: the transport reconnects by itself for fresh credentials
	// (token renewal) within the test timeout.
	renews bool
	// refused are messages the adapter must refuse locally.
	refused []transport.Message
	// refusedRaw are cloud topics PublishRaw must refuse locally.
	refusedRaw []string
}

// run drives a whole session through sc, capturing everything; the
// caller then adds what it learnt and calls check.
func (s *session) run(sc scenario) {
	t := s.t
	t.Helper()
	log := s.logger()

	// A connection with wrong credentials.
	bad, err := sc.bad(log)
	s.err("New (wrong credentials)", err)
	if err != nil {
		t.Fatalf("New (wrong credentials): %v", err)
	}
	bev := s.watch("wrong credentials", bad)
	ctx, cancel := context.WithTimeout(context.Background(), failTimeout)
	err = bad.Connect(ctx)
	cancel()
	s.err("Connect (wrong credentials)", err)
	if err == nil {
		t.Fatal("connected with wrong credentials")
	}
	var ce *mqttx.ConnectError
	if sc.badRefused && !errors.As(err, &ce) {
		t.Errorf("wrong credentials: Connect = %v, want a CONNACK refusal", err)
	}
	s.err("Close (wrong credentials)", bad.Close(testContext(t)))
	bev.wait(transport.EventDisconnected, nil)

	// The session proper.
	conn, err := sc.good(log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ev := s.watch("session", conn)
	ctx = testContext(t)
	if err := conn.Connect(ctx); err != nil {
		s.err("Connect", err)
		t.Fatalf("Connect: %v", err)
	}
	ev.wait(transport.EventConnected, nil)
	got := make(chan transport.Message, 16)
	s.err("Handle", conn.Handle(ctx, "cmd/#", func(_ context.Context, m transport.Message) {
		select {
		case got <- m:
		default:
		}
	}))
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"n":1}`), QoS: 1}); err != nil {
		s.err("Send", err)
		t.Fatalf("Send: %v", err)
	}

	// A drop at the server, and the reconnect.
	if !sc.drop() {
		t.Fatal("the server did not find the connection to drop")
	}
	ev.wait(transport.EventConnectionLost, nil)
	ev.wait(transport.EventConnected, nil)
	if err := conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte(`{"n":2}`), QoS: 1}); err != nil {
		s.err("Send after reconnect", err)
		t.Fatalf("Send after reconnect: %v", err)
	}

	// A renewal for fresh credentials.
	if sc.renews {
		ev.wait(transport.EventConnectionLost, func(e transport.Event) bool {
			return errors.Is(e.Err, mqttx.ErrReconnectRequested)
		})
		ev.wait(transport.EventConnected, nil)
	}

	// Publishes refused before anything is sent.
	for i, m := range sc.refused {
		err := conn.Send(ctx, m)
		s.err(fmt.Sprintf("Send refused #%d", i), err)
		if err == nil {
			t.Errorf("Send #%d (topic %q, QoS %d, %d bytes) was not refused", i, m.Topic, m.QoS, len(m.Payload))
		}
	}
	for _, topic := range sc.refusedRaw {
		err := conn.PublishRaw(ctx, topic, []byte("x"), 1)
		s.err("PublishRaw refused "+topic, err)
		if err == nil {
			t.Errorf("PublishRaw(%q) was not refused", topic)
		}
	}

	s.err("Close", conn.Close(ctx))
	ev.wait(transport.EventDisconnected, nil)
	s.err("Send after Close", conn.Send(ctx, transport.Message{Topic: "events", Payload: []byte("late")}))
	s.err("Connect after Close", conn.Connect(ctx))
	// The adapter's logger is mqttx's too: the whole session was captured.
	mustContain(t, "the log", s.rec.Text(), "mqttx: connecting", "mqttx: connected", "mqttx: connection lost", "mqttx: disconnected")
}

// mustContain fails unless text contains every part, so a test proves the
// captured text is what it claims (not empty).
func mustContain(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s does not contain %q", what, p)
		}
	}
}
