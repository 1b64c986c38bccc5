package shadowsvc

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// DefaultMaxInFlight is how many requests of one thing may be in flight at
// once; AWS answers the next one with 429.
const DefaultMaxInFlight = 10

// Messages of rejections that shadowdoc does not produce.
const (
	// MsgTooManyRequests is the message of a 429 rejection.
	MsgTooManyRequests = "Too Many Requests"
	// msgNoShadowFormat is the message of a 404, with the shadow's name
	// (the thing name for the classic shadow).
	msgNoShadowFormat = "No shadow exists with name: '%s'"
)

// Publish is a message the service publishes.
type Publish struct {
	Topic   string
	Payload []byte
}

// Options configure a Service. The zero value is AWS's defaults with the
// wall clock.
type Options struct {
	// Now is the clock of the service's timestamps; nil means time.Now.
	Now func() time.Time
	// Limits are the document limits (depth, size); zero fields mean the
	// service's defaults.
	Limits shadowdoc.Limits
	// MaxInFlight is how many requests of one thing Hold keeps before the
	// next is answered 429; 0 means DefaultMaxInFlight.
	MaxInFlight int
}

// Service is the Device Shadow service of one AWS account and region.
type Service struct {
	now         func() time.Time
	lim         shadowdoc.Limits
	maxInFlight int

	mu      sync.Mutex
	shadows map[shadowKey]*stored
	held    map[string]*heldRequests // by thing, while held
}

type shadowKey struct{ thing, shadow string }

// stored is one shadow. doc is nil once deleted; version survives the
// delete, since the service continues versions after it.
type stored struct {
	doc     *shadowdoc.Document
	version int64
}

// heldRequests are the requests of one thing kept in flight by Hold.
type heldRequests struct {
	reqs []request
}

type request struct {
	topic   shadowdoc.Topic
	payload []byte
}

// New returns an empty service.
func New(opts Options) *Service {
	s := &Service{
		now:         opts.Now,
		lim:         opts.Limits,
		maxInFlight: opts.MaxInFlight,
		shadows:     make(map[shadowKey]*stored),
		held:        make(map[string]*heldRequests),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxInFlight <= 0 {
		s.maxInFlight = DefaultMaxInFlight
	}
	return s
}

// HandlePublish handles a message a client published. handled is false when
// topic is not a shadow request topic ($aws/things/{thing}/shadow[/name/{shadow}]/{get,update,delete}):
// the broker then routes the message as usual. Otherwise the service
// consumes it and replies holds what the service publishes in answer, in
// order (nothing while the thing's requests are held).
//
// clientID is the publisher's MQTT client id; the service does not restrict
// requests by it (authorization is the broker's job).
func (s *Service) HandlePublish(clientID, topic string, payload []byte) (replies []Publish, handled bool) {
	t, err := shadowdoc.ParseTopic(topic)
	if err != nil || t.Kind != shadowdoc.KindRequest {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.held[t.Thing]; h != nil {
		if len(h.reqs) >= s.maxInFlight {
			e := &shadowdoc.Error{Code: shadowdoc.CodeTooManyRequests, Message: MsgTooManyRequests}
			return []Publish{s.rejected(t, e, requestToken(t.Op, payload))}, true
		}
		h.reqs = append(h.reqs, request{topic: t, payload: append([]byte(nil), payload...)})
		return nil, true
	}
	return s.handle(t, payload), true
}

// requestToken returns the clientToken of a request payload, for a
// rejection that happens before the request is parsed.
func requestToken(op shadowdoc.Operation, payload []byte) string {
	if op == shadowdoc.OpUpdate {
		req, _ := shadowdoc.ParseUpdateRequest(payload)
		return req.ClientToken
	}
	return shadowdoc.ParseRequestClientToken(payload)
}

// handle answers one request. s.mu is held.
func (s *Service) handle(t shadowdoc.Topic, payload []byte) []Publish {
	switch t.Op {
	case shadowdoc.OpGet:
		return s.get(t, shadowdoc.ParseRequestClientToken(payload))
	case shadowdoc.OpDelete:
		return s.delete(t, shadowdoc.ParseRequestClientToken(payload))
	}
	req, err := shadowdoc.ParseUpdateRequest(payload)
	if err != nil {
		return []Publish{s.rejected(t, err, req.ClientToken)}
	}
	out, err := s.update(t, req)
	if err != nil {
		return []Publish{s.rejected(t, err, req.ClientToken)}
	}
	return out
}

func (s *Service) get(t shadowdoc.Topic, token string) []Publish {
	st := s.shadows[shadowKey{t.Thing, t.Shadow}]
	if st == nil || st.doc == nil {
		return []Publish{s.rejected(t, notFound(t), token)}
	}
	doc := *st.doc
	doc.Timestamp = s.now().Unix() // the time of the response, as AWS sends
	doc.ClientToken = token
	return []Publish{s.publish(t, shadowdoc.KindAccepted, doc)}
}

func (s *Service) delete(t shadowdoc.Topic, token string) []Publish {
	st := s.shadows[shadowKey{t.Thing, t.Shadow}]
	if st == nil || st.doc == nil {
		return []Publish{s.rejected(t, notFound(t), token)}
	}
	st.doc = nil
	return []Publish{s.publish(t, shadowdoc.KindAccepted, shadowdoc.DeleteAccepted{
		Version: st.version, Timestamp: s.now().Unix(), ClientToken: token,
	})}
}

// update applies req to the shadow t names and returns update/accepted,
// update/delta (if a delta remains) and update/documents, or a *shadowdoc.Error.
func (s *Service) update(t shadowdoc.Topic, req *shadowdoc.UpdateRequest) ([]Publish, error) {
	key := shadowKey{t.Thing, t.Shadow}
	st := s.shadows[key]
	var cur *shadowdoc.Document
	if st != nil {
		if st.doc != nil {
			cur = st.doc
		} else {
			cur = &shadowdoc.Document{Version: st.version} // deleted: versions continue
		}
	}
	res, err := shadowdoc.ApplyUpdate(cur, req, s.now().Unix(), s.lim)
	if err != nil {
		return nil, err
	}
	if st != nil && st.doc == nil {
		res.Documents.Previous = nil // a deleted shadow has no previous document
	}
	if st == nil {
		st = &stored{}
		s.shadows[key] = st
	}
	st.doc, st.version = &res.Document, res.Document.Version

	out := []Publish{s.publish(t, shadowdoc.KindAccepted, res.Accepted)}
	if res.Delta != nil {
		out = append(out, s.publish(t, shadowdoc.KindDelta, res.Delta))
	}
	return append(out, s.publish(t, shadowdoc.KindDocuments, res.Documents)), nil
}

// rejected builds the {op}/rejected publish for err.
func (s *Service) rejected(t shadowdoc.Topic, err error, token string) Publish {
	var e *shadowdoc.Error
	if !errors.As(err, &e) {
		e = &shadowdoc.Error{Code: shadowdoc.CodeInternal, Message: "Internal service failure"}
	}
	return s.publish(t, shadowdoc.KindRejected, e.Response(s.now().Unix(), token))
}

// publish encodes v for the response topic of kind.
func (s *Service) publish(t shadowdoc.Topic, kind shadowdoc.Kind, v any) Publish {
	t.Kind = kind
	b, err := shadowdoc.Marshal(v)
	if err != nil {
		// Every value here was parsed from JSON or built by shadowdoc.
		panic(fmt.Sprintf("shadowsvc: encoding %s: %v", t, err))
	}
	return Publish{Topic: t.String(), Payload: b}
}

func notFound(t shadowdoc.Topic) *shadowdoc.Error {
	name := t.Thing
	if t.Shadow != "" {
		name = t.Shadow
	}
	return &shadowdoc.Error{Code: shadowdoc.CodeNotFound, Message: fmt.Sprintf(msgNoShadowFormat, name)}
}
