package twin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tether-iot/tether/internal/backoff"
	"github.com/tether-iot/tether/internal/twindoc"
	"github.com/tether-iot/tether/mqttx"
	"github.com/tether-iot/tether/transport"
)

// requestQoS is the QoS of GET and reported-PATCH requests: the PUBACK
// tells that the hub has the request.
const requestQoS byte = 1

// response is what the response handler hands a waiting request.
type response struct {
	res  twindoc.Response
	body []byte
}

// connState follows the connection through the transport's events.
// Requests wait on its channels: lost is closed when the connection they
// were sent on drops, up is closed while a connection is up. The Client
// assumes a connection at first (it may be created on a connected
// transport); a publish refused as not connected corrects that.
type connState struct {
	mu   sync.Mutex
	gen  uint64 // incremented by every connect
	up   chan struct{}
	down chan struct{}
}

func newConnState() connState {
	up := make(chan struct{})
	close(up)
	return connState{up: up, down: make(chan struct{})}
}

func (s *connState) generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// snapshot returns the current generation and the channel closed when its
// connection is lost.
func (s *connState) snapshot() (uint64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen, s.down
}

// upChan returns a channel closed once a connection is up.
func (s *connState) upChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

func (s *connState) connected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	select {
	case <-s.up:
	default:
		close(s.up)
	}
	s.down = make(chan struct{})
}

// lost records that the connection of generation gen is gone, unless a
// newer one is up already.
func (s *connState) lost(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	select {
	case <-s.down:
	default:
		close(s.down)
	}
	select {
	case <-s.up:
		s.up = make(chan struct{})
	default:
	}
}

// onResponse hands a response to the request waiting for its $rid.
// Responses nobody waits for (duplicates, late answers to an attempt that
// timed out) are dropped.
func (c *Client) onResponse(_ context.Context, msg transport.Message) {
	res, err := twindoc.ParseResponseTopic(msg.Topic)
	if err != nil {
		c.cfg.log.Warn("twin: dropped a malformed response", "err", err)
		return
	}
	c.reqMu.Lock()
	ch := c.pending[res.RequestID]
	delete(c.pending, res.RequestID)
	c.reqMu.Unlock()
	if ch == nil {
		c.cfg.log.Debug("twin: dropped a response nobody waits for", "rid", res.RequestID, "status", res.Status)
		return
	}
	ch <- response{res: res, body: msg.Payload} // buffered; the entry was deleted, so sent once
}

// do sends a request until it succeeds, fails for good or ctx ends, with a
// fresh $rid for every attempt: a late answer to an earlier attempt can then
// never be taken for the current one.
func (c *Client) do(ctx context.Context, kind twindoc.RequestKind, payload []byte) (twindoc.Response, []byte, error) {
	var last error
	for attempt := 1; ; attempt++ {
		r, err := c.roundTrip(ctx, kind, payload)
		if err == nil {
			if err = r.res.Err(); err == nil {
				return r.res, r.body, nil
			}
			err = &Error{Op: kind.String(), Status: r.res.Status, RequestID: r.res.RequestID}
		}
		if ctx.Err() != nil || errors.Is(err, ErrClosed) || !retryable(err) {
			return twindoc.Response{}, nil, withLast(err, last)
		}
		last = err
		c.cfg.log.Debug("twin: request failed; retrying", "op", kind.String(), "attempt", attempt, "err", err)
		if err := c.pause(ctx, attempt, err); err != nil {
			return twindoc.Response{}, nil, withLast(err, last)
		}
	}
}

// withLast adds the last retryable failure to err, the reason a request
// stopped being retried, so both match errors.Is and errors.As.
func withLast(err, last error) error {
	if last == nil || err == last {
		return err
	}
	return fmt.Errorf("%w (last attempt: %w)", err, last)
}

// retryable reports whether a failed attempt may be sent again.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	return errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrNoResponse) || errors.Is(err, mqttx.ErrNotConnected)
}

// connectionFailure reports whether err means the connection is down, so
// the retry may go as soon as it is up again.
func connectionFailure(err error) bool {
	return errors.Is(err, ErrConnectionLost) || errors.Is(err, mqttx.ErrNotConnected)
}

// pause waits before retry number attempt: a full-jitter backoff, cut short
// by a reconnect when the failure was the connection's. It returns the
// reason to stop, if ctx ends or the Client is closed first.
func (c *Client) pause(ctx context.Context, attempt int, cause error) error {
	policy := backoff.Policy{Min: c.cfg.minBackoff, Max: c.cfg.maxBackoff}
	timer := time.NewTimer(policy.Delay(attempt))
	defer timer.Stop()
	var up <-chan struct{}
	if connectionFailure(cause) {
		up = c.conn.upChan()
	}
	select {
	case <-timer.C:
		return nil
	case <-up:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("twin: %w", ctx.Err())
	case <-c.ctx.Done():
		return ErrClosed
	}
}

// roundTrip sends one attempt of a request and waits for its response.
func (c *Client) roundTrip(ctx context.Context, kind twindoc.RequestKind, payload []byte) (response, error) {
	rid := c.nextRID()
	var topic string
	var err error
	switch kind {
	case twindoc.RequestGet:
		topic, err = twindoc.GetTopic(rid)
	default:
		topic, err = twindoc.ReportedPatchTopic(rid)
	}
	if err != nil { // cannot happen: rids are made of valid characters
		return response{}, err
	}
	ch := make(chan response, 1)
	c.reqMu.Lock()
	c.pending[rid] = ch
	c.reqMu.Unlock()
	defer func() {
		c.reqMu.Lock()
		delete(c.pending, rid)
		c.reqMu.Unlock()
	}()

	gen, down := c.conn.snapshot()
	select {
	case <-down:
		// The Client still believes the connection is down, yet the
		// transport may be up before its Connected event arrives: if the
		// publish goes through, the request timeout covers a loss.
		down = nil
	default:
	}
	if err := c.t.PublishRaw(ctx, topic, payload, requestQoS); err != nil {
		if errors.Is(err, mqttx.ErrNotConnected) {
			c.conn.lost(gen)
		}
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("twin: %s: %w", kind, ctx.Err())
		}
		return response{}, fmt.Errorf("twin: %s: publish: %w", kind, err)
	}
	timer := time.NewTimer(c.cfg.requestTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-down:
		return response{}, fmt.Errorf("%w ($rid %s, %s)", ErrConnectionLost, rid, kind)
	case <-timer.C:
		return response{}, fmt.Errorf("%w ($rid %s, %s) within %v", ErrNoResponse, rid, kind, c.cfg.requestTimeout)
	case <-ctx.Done():
		return response{}, fmt.Errorf("twin: %s: %w", kind, ctx.Err())
	case <-c.ctx.Done():
		return response{}, ErrClosed
	}
}
