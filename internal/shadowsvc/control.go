package shadowsvc

import (
	"github.com/tether-iot/tether/internal/shadowdoc"
)

// The cloud side: what the AWS console, the HTTP API or a rule does to a
// shadow. These return the publishes the service makes, for the emulator to
// deliver to the subscribers connected now; AWS queues nothing for a device
// that is offline (it does not redeliver deltas), and neither should the
// caller.

// SetDesired merges desired into the desired state of a shadow (shadow "" is
// the classic shadow), creating the shadow if needed; a key set to nil is
// removed. It returns update/accepted, update/delta (when a delta remains)
// and update/documents, or an error: a *shadowdoc.Error for what the
// service would reject, or one wrapping shadowdoc.ErrInvalidThingName or
// ErrInvalidShadowName.
func (s *Service) SetDesired(thing, shadow string, desired map[string]any) ([]Publish, error) {
	return s.Update(thing, shadow, &shadowdoc.UpdateRequest{
		State: shadowdoc.UpdateState{Desired: shadowdoc.Patch(desired)},
	})
}

// Update applies an update request as if an application had sent it over
// HTTP, without the in-flight limit, and returns what SetDesired returns.
// req.Version and req.ClientToken work as in a device's request.
func (s *Service) Update(thing, shadow string, req *shadowdoc.UpdateRequest) ([]Publish, error) {
	t, err := requestTopic(thing, shadow, shadowdoc.OpUpdate)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(t, req)
}

// Delete deletes a shadow and returns the delete/accepted publish, or a
// *shadowdoc.Error with code 404 when there is no shadow (or a name error).
func (s *Service) Delete(thing, shadow string) ([]Publish, error) {
	t, err := requestTopic(thing, shadow, shadowdoc.OpDelete)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.shadows[shadowKey{thing, shadow}]
	if st == nil || st.doc == nil {
		return nil, notFound(t)
	}
	return s.delete(t, ""), nil
}

// Document returns a copy of the stored document of a shadow (delta
// included, no clientToken), and false when the shadow does not exist.
func (s *Service) Document(thing, shadow string) (shadowdoc.Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.shadows[shadowKey{thing, shadow}]
	if st == nil || st.doc == nil {
		return shadowdoc.Document{}, false
	}
	// Applying no change is a deep copy that keeps version and timestamp.
	return shadowdoc.ApplyState(*st.doc, shadowdoc.UpdateState{}, st.doc.Timestamp), true
}

// Hold keeps the requests the thing's clients publish from now on in
// flight, unanswered, until Release: up to MaxInFlight of them; the next
// ones are rejected with 429 at once, as AWS does.
func (s *Service) Hold(thing string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[thing] == nil {
		s.held[thing] = &heldRequests{}
	}
}

// Held returns how many requests of thing are held in flight.
func (s *Service) Held(thing string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.held[thing]; h != nil {
		return len(h.reqs)
	}
	return 0
}

// Release stops holding the thing's requests, answers the held ones in the
// order they arrived and returns the replies in that order.
func (s *Service) Release(thing string) []Publish {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[thing]
	delete(s.held, thing)
	if h == nil {
		return nil
	}
	var out []Publish
	for _, r := range h.reqs {
		out = append(out, s.handle(r.topic, r.payload)...)
	}
	return out
}

// requestTopic validates the names and returns the request topic of op.
func requestTopic(thing, shadow string, op shadowdoc.Operation) (shadowdoc.Topic, error) {
	t := shadowdoc.Topic{Thing: thing, Shadow: shadow, Op: op}
	if _, err := t.Build(); err != nil {
		return shadowdoc.Topic{}, err
	}
	return t, nil
}
