package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tether-iot/tether/transport"
)

// DeviceTransport is what a [Device] needs of its connection to the cloud.
// Every transport.Transport has these methods.
type DeviceTransport interface {
	Info() transport.Info
	Send(ctx context.Context, msg transport.Message) error
	Handle(ctx context.Context, filter string, h transport.Handler) error
	PublishRaw(ctx context.Context, topic string, payload []byte, qos byte) error
	SubscribeRaw(ctx context.Context, filter string, qos byte, h transport.Handler) error
	UnsubscribeRaw(ctx context.Context, filter string) error
}

var _ DeviceTransport = transport.Transport(nil)

// directSender is implemented by transports that can publish a canonical
// message at once, without queuing it in an outbox (transport.Conn's
// SendDirect). A Device sends its responses that way when it can; see
// [Device].
type directSender interface {
	SendDirect(ctx context.Context, msg transport.Message) error
}

var _ directSender = (*transport.Conn)(nil)

const (
	// MaxAzureMethodPayload is the largest direct-method response body IoT
	// Hub accepts, in bytes (PROTOCOLS.md §2).
	MaxAzureMethodPayload = 128 << 10

	// ResponseQoS is the QoS of responses on AWS IoT Core and plain brokers.
	ResponseQoS byte = 1
	// AzureResponseQoS is the QoS of direct-method responses: the hub
	// delivers methods at QoS 0, and an answer replayed after a reconnect
	// would come too late to matter.
	AzureResponseQoS byte = 0

	// pendingPerSlot bounds the answers a Device awaits on its own
	// goroutines, per handler slot of the Server: duplicates of a running
	// command wait too.
	pendingPerSlot = 4
)

// Device serves commands from the cloud over a transport: it subscribes to
// the command topics of its cloud, decodes each request, runs it through a
// [Server] (deduplication, ordering, limits, deadlines) and publishes the
// answer. Every request that carries something to answer to (a TID, an
// Azure $rid) is answered, failures included.
//
// On Azure IoT Hub (transport.CloudAzure) it serves direct methods:
// requests on "$iothub/methods/POST/{method}/?$rid={rid}" (subscribed at QoS
// 0, as the hub delivers them), the body decoded by [DecodeMethodPayload],
// answers on "$iothub/methods/res/{status}/?$rid={rid}" with the response
// payload as body (empty for an empty payload), at [AzureResponseQoS].
//
// On AWS IoT Core and plain brokers it serves request envelopes (see
// [DecodeRequest]) on the scheme chosen by [WithScheme]:
//   - [SchemeCanonical] (default): the canonical filter "request/#"; the
//     method is the topic tail with "/" → "."; the response envelope is sent
//     on the canonical "response/{tail}" at [ResponseQoS].
//   - [SchemeCmd]: "cmd/{device}/req", the method in the envelope, answered
//     on "cmd/{device}/resp".
//
// and, with [WithGroups], group requests (see [GroupRequestTopic]), answered
// as the scheme answers.
//
// A request whose TID cannot be read is answered 400 with an empty "tid"
// (nobody can correlate it, but tools watching the topic see it). A response
// the cloud refuses as too large (transport.ErrPayloadTooLarge, or more than
// [MaxAzureMethodPayload] on Azure) is replaced by a 500 saying so; the
// deduplication cache keeps the original, so a retry gets the same 500. A
// response that cannot be sent otherwise (connection down) is logged and
// dropped: the application retries with the same TID and gets the cached
// answer.
//
// Responses are therefore published at once and never queued: on a
// transport with a SendDirect method (transport.Conn has one) a canonical
// response bypasses the outbox that holds the transport's other QoS 1
// messages, as raw topics always do. The outbox's replay would add nothing
// (the deduplication cache already answers the application's retry, with
// the same response), would deliver the response after a reconnect, when
// the caller has given up on it, and would cost a hand-off to the outbox's
// goroutine on every command.
//
// Requests are decoded and admitted in arrival order on the transport's
// worker goroutine, which then detaches (transport.Detach) and runs the
// handler itself, while the next requests go to another worker. Answers
// are awaited on goroutines of the Device, at most 4 × [WithMaxConcurrent]
// at once, beyond which the transport's worker waits (back-pressure,
// nothing dropped).
type Device struct {
	srv          *Server
	t            DeviceTransport
	send         func(context.Context, transport.Message) error // responses on canonical topics
	info         transport.Info
	scheme       Scheme
	log          *slog.Logger
	now          func() time.Time
	replyTimeout time.Duration

	base   context.Context // cancelled when Shutdown gives up waiting
	cancel context.CancelFunc

	// The context commands run under (see commandContext), made once per
	// transport context rather than per command. Guarded by mu.
	cmdCtx  context.Context
	cmdDone <-chan struct{} // Done of the transport context it follows

	pending chan struct{} // semaphore of the goroutines awaiting answers

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	raw    []string // raw filters, unsubscribed by Shutdown
}

// NewDevice builds a [Server] for h with opts, subscribes to the command
// topics of t's cloud and serves them until Shutdown. t must be the
// device's own transport (its Info names the device). ctx bounds the
// subscriptions only.
//
// The canonical "request/#" handler cannot be removed from a transport:
// after Shutdown, or when NewDevice fails after subscribing it, requests
// there are answered 503.
func NewDevice(ctx context.Context, t DeviceTransport, h Handler, opts ...Option) (*Device, error) {
	if t == nil {
		return nil, errors.New("command: NewDevice: nil transport")
	}
	c := newConfig(opts)
	info := t.Info()
	azure := info.Cloud == transport.CloudAzure
	switch {
	case c.scheme != SchemeCanonical && c.scheme != SchemeCmd:
		return nil, fmt.Errorf("command: NewDevice: unknown scheme %v", c.scheme)
	case azure && c.scheme != SchemeCanonical:
		return nil, errors.New("command: NewDevice: Azure IoT Hub serves direct methods: WithScheme does not apply")
	case azure && len(c.groups) > 0:
		return nil, errors.New("command: NewDevice: Azure IoT Hub cannot deliver group topics: WithGroups does not apply")
	case !azure && !validLevel(info.DeviceID):
		return nil, fmt.Errorf("command: NewDevice: transport device id %q cannot be a topic level", info.DeviceID)
	}
	for _, g := range c.groups {
		if _, err := GroupRequestFilter(g); err != nil {
			return nil, fmt.Errorf("command: NewDevice: %w", err)
		}
	}
	srv, err := NewServer(h, opts...)
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	d := &Device{
		srv:          srv,
		t:            t,
		info:         info,
		scheme:       c.scheme,
		log:          c.log,
		now:          c.now,
		replyTimeout: c.replyTimeout,
		base:         base,
		cancel:       cancel,
		pending:      make(chan struct{}, pendingPerSlot*c.maxConcurrent),
	}
	d.send = t.Send
	if ds, ok := t.(directSender); ok {
		d.send = ds.SendDirect
	}
	if err := d.subscribe(ctx, azure, c.groups); err != nil {
		_ = d.Shutdown(ctx) // nothing ran; the subscribe error is the one to report
		return nil, err
	}
	return d, nil
}

func (d *Device) subscribe(ctx context.Context, azure bool, groups []string) error {
	raw := func(filter string, qos byte, h transport.Handler) error {
		if err := d.t.SubscribeRaw(ctx, filter, qos, h); err != nil {
			return fmt.Errorf("command: subscribing to %q: %w", filter, err)
		}
		d.mu.Lock()
		d.raw = append(d.raw, filter)
		d.mu.Unlock()
		return nil
	}
	switch {
	case azure:
		return raw(AzureMethodFilter, 0, d.onAzure)
	case d.scheme == SchemeCmd:
		filter, err := SchemeCmd.RequestFilter(d.info.DeviceID)
		if err != nil {
			return err
		}
		if err := raw(filter, transport.SubscribeQoS, d.onCmd); err != nil {
			return err
		}
	default:
		if err := d.t.Handle(ctx, CanonicalRequestFilter, d.onCanonical); err != nil {
			return fmt.Errorf("command: handling %q: %w", CanonicalRequestFilter, err)
		}
	}
	for _, g := range groups {
		filter, _ := GroupRequestFilter(g) // validated by NewDevice
		if err := raw(filter, transport.SubscribeQoS, d.onGroup); err != nil {
			return err
		}
	}
	return nil
}

// Server returns the Server the Device runs its commands through.
func (d *Device) Server() *Server { return d.srv }

// Shutdown unsubscribes the raw command topics, stops admitting commands
// (later ones are answered 503) and waits until the running handlers have
// returned and their answers are sent, or ctx ends; then it abandons the
// answers still pending and returns ctx's error. A handler that ignores its
// ctx keeps running on its own goroutine.
func (d *Device) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	raw := d.raw
	d.raw = nil
	d.mu.Unlock()
	for _, f := range raw {
		if err := d.t.UnsubscribeRaw(ctx, f); err != nil {
			// A closed transport has no subscription left to remove.
			d.log.Debug("command: unsubscribing at shutdown", "filter", f, "err", err)
		}
	}
	err := d.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	if err == nil {
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	d.cancel() // ends the waits and sends still pending
	<-done
	return err
}

// onCanonical serves "request/{a/b}" and answers on "response/{a/b}".
func (d *Device) onCanonical(ctx context.Context, msg transport.Message) {
	tail, ok := strings.CutPrefix(msg.Topic, canonicalRequestPrefix)
	if !ok || tail == "" {
		d.log.Warn("command: no response topic for a request topic", "topic", msg.Topic)
		return
	}
	reply := d.envelopeReply(canonicalResponsePrefix+tail, false)
	method, err := ParseCanonicalRequestTopic(msg.Topic)
	if err != nil {
		reply(ctx, lenientTID(msg.Payload), ErrorResponse(err))
		return
	}
	d.serveEnvelope(ctx, method, msg.Payload, reply)
}

// onCmd serves "cmd/{device}/req" and answers on "cmd/{device}/resp".
func (d *Device) onCmd(ctx context.Context, msg transport.Message) {
	topic, _ := SchemeCmd.ResponseTopic(d.info.DeviceID, "") // device validated by NewDevice
	d.serveEnvelope(ctx, "", msg.Payload, d.envelopeReply(topic, true))
}

// onGroup serves "group/{group}/request/{a/b}" and answers as the scheme
// answers.
func (d *Device) onGroup(ctx context.Context, msg transport.Message) {
	var reply replyFunc
	if d.scheme == SchemeCmd {
		topic, _ := SchemeCmd.ResponseTopic(d.info.DeviceID, "")
		reply = d.envelopeReply(topic, true)
	} else {
		_, tail, _ := strings.Cut(strings.TrimPrefix(msg.Topic, groupPrefix), "/"+canonicalRequestPrefix)
		if tail == "" {
			d.log.Warn("command: no response topic for a group request topic", "topic", msg.Topic)
			return
		}
		reply = d.envelopeReply(canonicalResponsePrefix+tail, false)
	}
	_, method, err := ParseGroupRequestTopic(msg.Topic)
	if err != nil {
		reply(ctx, lenientTID(msg.Payload), ErrorResponse(err))
		return
	}
	d.serveEnvelope(ctx, method, msg.Payload, reply)
}

// replyFunc sends the response to transaction tid.
type replyFunc func(ctx context.Context, tid string, resp Response)

// serveEnvelope decodes a request envelope and serves it. method is the
// topic's method, or "" when the envelope must name it.
func (d *Device) serveEnvelope(ctx context.Context, method string, payload []byte, reply replyFunc) {
	req, err := DecodeRequest(payload, d.now())
	switch {
	case err != nil:
		reply(ctx, lenientTID(payload), ErrorResponse(err))
		return
	case method == "" && req.Method == "":
		reply(ctx, req.TID, ErrorResponse(&DecodeError{Field: "method", Reason: "missing"}))
		return
	case method != "" && req.Method != "" && req.Method != method:
		reply(ctx, req.TID, ErrorResponse(&DecodeError{Field: "method", Reason: "does not match the topic's " + method}))
		return
	case method != "":
		req.Method = method
	}
	tid := req.TID
	d.dispatch(ctx, req, func(ctx context.Context, resp Response) { reply(ctx, tid, resp) })
}

// dispatch admits req now and answers it now, or later from the goroutine
// that has the response: the handler's, or one of the Device's waiting for
// a duplicate's original. Admission happens on the transport's worker, in
// arrival order; the worker then detaches (transport.Detach) and runs the
// handler itself, so the next commands are admitted meanwhile.
func (d *Device) dispatch(ctx context.Context, req *Request, answer func(context.Context, Response)) {
	sctx := d.commandContext(ctx)

	// A later answer holds a slot of the pending semaphore; without one (or
	// after Shutdown) this subscription's worker waits itself:
	// back-pressure, nothing dropped.
	d.mu.Lock()
	later := !d.closed
	if later {
		d.wg.Add(1)
	}
	d.mu.Unlock()
	if later {
		select {
		case d.pending <- struct{}{}:
		default:
			later = false
			d.wg.Done()
		}
	}
	if !later {
		resp, wait := d.srv.begin(sctx, req)
		if wait != nil {
			resp = wait()
		}
		answer(sctx, resp)
		return
	}
	reply := func(resp Response) {
		defer d.wg.Done()
		defer func() { <-d.pending }()
		answer(sctx, resp)
	}
	// ctx, not sctx: Detach needs the transport handler's own context.
	detach := func() bool { return transport.Detach(ctx) }
	resp, wait, started := d.srv.beginDeliver(sctx, req, reply, detach)
	switch {
	case started: // the handler's goroutine, or its deadline, replies
	case wait != nil: // a duplicate of a running command
		d.srv.pool.run(func() { reply(wait()) })
	default:
		reply(resp)
	}
}

// commandContext returns the context a command runs under: it ends when ctx (the transport's
// context for its handlers) ends, or when Shutdown gives up waiting. It
// carries none of ctx's values: those of the transport's worker are for
// the transport handler's own goroutine (transport.Detach). A transport
// hands contexts with the same Done channel to every message, so the
// context is made once and kept while ctx's Done channel stays the same,
// instead of a context and a cancellation hook per command. A ctx that is
// never cancelled (no Done channel) needs no hook: d.base is the context.
func (d *Device) commandContext(ctx context.Context) context.Context {
	done := ctx.Done()
	if done == nil {
		return d.base
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmdCtx != nil && done == d.cmdDone {
		return d.cmdCtx
	}
	cctx, cancel := context.WithCancel(d.base)
	context.AfterFunc(ctx, cancel) // stays until ctx ends, once per transport context
	d.cmdCtx, d.cmdDone = cctx, done
	return cctx
}

// envelopeReply returns the replyFunc that sends response envelopes on
// topic: a canonical topic through Send, or a cloud topic when raw.
func (d *Device) envelopeReply(topic string, raw bool) replyFunc {
	return func(ctx context.Context, tid string, resp Response) {
		ctx, cancel := context.WithTimeout(ctx, d.replyTimeout)
		defer cancel()
		publish := func(r Response) error {
			body, err := EncodeResponse(tid, r)
			if err != nil { // the Server checks responses; only a bug gets here
				body, _ = EncodeResponse(tid, ErrorResponse(err))
			}
			if raw {
				return d.t.PublishRaw(ctx, topic, body, ResponseQoS)
			}
			return d.send(ctx, transport.Message{Topic: topic, Payload: body, QoS: ResponseQoS})
		}
		err := publish(resp)
		if errors.Is(err, transport.ErrPayloadTooLarge) {
			d.log.Warn("command: response too large for the cloud; answering 500", "topic", topic, "tid", tid, "err", err)
			err = publish(tooLarge(err))
		}
		if err != nil {
			d.log.Warn("command: sending a response", "topic", topic, "tid", tid, "status", resp.Status, "err", err)
		}
	}
}

// onAzure serves "$iothub/methods/POST/{method}/?$rid={rid}".
func (d *Device) onAzure(ctx context.Context, msg transport.Message) {
	method, rid, err := ParseAzureMethodTopic(msg.Topic)
	if err != nil {
		if rid, ok := lenientRID(msg.Topic); ok {
			d.azureReply(ctx, rid, ErrorResponse(err))
		} else {
			d.log.Warn("command: cannot answer a direct method without $rid", "topic", msg.Topic, "err", err)
		}
		return
	}
	req, err := DecodeMethodPayload(method, rid, msg.Payload, d.now())
	if err != nil {
		d.azureReply(ctx, rid, ErrorResponse(err))
		return
	}
	d.dispatch(ctx, req, func(ctx context.Context, resp Response) { d.azureReply(ctx, rid, resp) })
}

// azureReply publishes "$iothub/methods/res/{status}/?$rid={rid}" with the
// response payload as body.
func (d *Device) azureReply(ctx context.Context, rid string, resp Response) {
	ctx, cancel := context.WithTimeout(ctx, d.replyTimeout)
	defer cancel()
	publish := func(r Response) error {
		topic, err := AzureMethodResponseTopic(r.Status, rid)
		if err != nil {
			return err
		}
		return d.t.PublishRaw(ctx, topic, r.Payload, AzureResponseQoS)
	}
	var err error
	if n := len(resp.Payload); n > MaxAzureMethodPayload {
		err = &transport.LimitError{Kind: transport.ErrPayloadTooLarge, Cloud: transport.CloudAzure,
			Limit: "direct method response size", Value: n, Max: MaxAzureMethodPayload}
	} else {
		err = publish(resp)
	}
	if errors.Is(err, transport.ErrPayloadTooLarge) {
		d.log.Warn("command: response too large for the cloud; answering 500", "rid", rid, "err", err)
		err = publish(tooLarge(err))
	}
	if err != nil {
		d.log.Warn("command: sending a direct method response", "rid", rid, "status", resp.Status, "err", err)
	}
}

// tooLarge is the 500 that replaces a response the cloud cannot carry.
func tooLarge(err error) Response {
	return Error(StatusInternalServerError, "command: response too large for the cloud: "+err.Error())
}

// lenientTID returns the envelope's "tid" if it can answer a malformed
// request, else "".
func lenientTID(payload []byte) string {
	var env struct {
		TID json.RawMessage `json:"tid"`
	}
	var tid string
	if json.Unmarshal(payload, &env) != nil || json.Unmarshal(env.TID, &tid) != nil || validateID("tid", tid) != nil {
		return ""
	}
	return tid
}

// lenientRID returns the $rid of a direct-method topic that does not parse
// otherwise, so that the failure can still be answered.
func lenientRID(topic string) (string, bool) {
	i := strings.LastIndex(topic, "/?")
	if !strings.HasPrefix(topic, azureMethodPrefix) || i < 0 {
		return "", false
	}
	rid, err := ridFromBag(topic, topic[i+2:])
	return rid, err == nil
}
