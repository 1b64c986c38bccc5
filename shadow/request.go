package shadow

import (
	"context"
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/shadowdoc"
)

// call is one request waiting for its response.
type call struct {
	op    shadowdoc.Operation
	done  chan struct{} // closed when one of the results below is set
	state int64         // the applied state version when the request was sent

	getAccepted    *shadowdoc.Document
	updateAccepted *shadowdoc.UpdateAccepted
	rejected       *shadowdoc.ErrorResponse
	err            error // ErrClosed, ErrConnectionLost
}

// completeLocked answers the call waiting for token, if any, with set;
// c.mu is held.
func (c *Client) completeLocked(op shadowdoc.Operation, token string, set func(*call)) {
	cl := c.pending[token]
	if token == "" || cl == nil || cl.op != op {
		return
	}
	delete(c.pending, token)
	set(cl)
	close(cl.done)
}

// failPendingLocked fails every request waiting for a response; c.mu is held.
func (c *Client) failPendingLocked(err error) {
	for token, cl := range c.pending {
		delete(c.pending, token)
		cl.err = err
		close(cl.done)
	}
}

// roundTrip publishes a request and waits for its response, within the
// in-flight limit. payload is built by encode from the request's token.
func (c *Client) roundTrip(ctx context.Context, op shadowdoc.Operation, encode func(token string) ([]byte, error)) (*call, error) {
	token := c.cfg.token()
	if len(token) == 0 || len(token) > shadowdoc.MaxClientTokenLen {
		return nil, &Error{Op: string(op), Code: shadowdoc.CodeBadRequest, Message: shadowdoc.MsgInvalidClientToken, Local: true}
	}
	payload, err := encode(token)
	if err != nil {
		return nil, err
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-c.slots }()

	cl := &call{op: op, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if _, dup := c.pending[token]; dup {
		c.mu.Unlock()
		return nil, &Error{Op: string(op), Code: shadowdoc.CodeBadRequest, Message: "clientToken already in flight", Local: true}
	}
	cl.state = c.vs.State
	c.pending[token] = cl
	c.mu.Unlock()

	if err := c.t.PublishRaw(ctx, c.requestTopic(op), payload, requestQoS); err != nil {
		c.forget(token, cl)
		return nil, fmt.Errorf("shadow: %s: %w", op, err)
	}
	select {
	case <-cl.done:
		if cl.err != nil {
			return nil, fmt.Errorf("shadow: %s: %w", op, cl.err)
		}
		return cl, nil
	case <-ctx.Done():
		c.forget(token, cl)
		return nil, fmt.Errorf("shadow: %s: %w", op, ctx.Err())
	}
}

// acquire takes an in-flight slot, waiting up to ctx.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shadow: waiting for one of %d in-flight slots: %w", cap(c.slots), ctx.Err())
	case <-c.ctx.Done():
		return ErrClosed
	}
}

// forget removes a call that will not wait for its response.
func (c *Client) forget(token string, cl *call) {
	c.mu.Lock()
	if c.pending[token] == cl {
		delete(c.pending, token)
	}
	c.mu.Unlock()
}

func (c *Client) requestTopic(op shadowdoc.Operation) string {
	switch op {
	case shadowdoc.OpGet:
		return c.topics.get
	case shadowdoc.OpDelete:
		return c.topics.delete
	}
	return c.topics.update
}

// rejection converts a */rejected response to an *Error.
func rejection(op shadowdoc.Operation, r *shadowdoc.ErrorResponse) *Error {
	return &Error{Op: string(op), Code: r.Code, Message: r.Message}
}

// tokenPayload is the payload of a get or delete: just the clientToken.
func tokenPayload(token string) ([]byte, error) {
	return shadowdoc.Marshal(struct {
		ClientToken string `json:"clientToken"`
	}{token})
}

// Get returns the shadow's current document. The client also applies it
// (see Document) and hands the delta handler its delta if it is newer than
// the last delivered. A shadow that does not exist is ErrNotFound.
func (c *Client) Get(ctx context.Context) (*Document, error) {
	cl, err := c.roundTrip(ctx, shadowdoc.OpGet, tokenPayload)
	if err != nil {
		return nil, err
	}
	if cl.rejected != nil {
		return nil, rejection(shadowdoc.OpGet, cl.rejected)
	}
	return documentOf(cl.getAccepted), nil
}

// Delete deletes the shadow. Its version is kept by the service: the next
// update continues from it. A shadow that does not exist is ErrNotFound.
func (c *Client) Delete(ctx context.Context) error {
	cl, err := c.roundTrip(ctx, shadowdoc.OpDelete, tokenPayload)
	if err != nil {
		return err
	}
	if cl.rejected != nil {
		return rejection(shadowdoc.OpDelete, cl.rejected)
	}
	return nil
}

// UpdateReported merges reported (a struct or map, encoded with
// encoding/json) into the reported state.
func (c *Client) UpdateReported(ctx context.Context, reported any) (*Accepted, error) {
	return c.Update(ctx, Update{Reported: reported})
}

// UpdateDesired merges desired (a struct or map, encoded with
// encoding/json) into the desired state.
func (c *Client) UpdateDesired(ctx context.Context, desired any) (*Accepted, error) {
	return c.Update(ctx, Update{Desired: desired})
}

// Update applies u to the shadow and returns the service's
// acknowledgement. Before sending, it refuses with a local *Error (nothing
// is sent) an update that is empty or does not encode as objects (400),
// that nests deeper than the configured depth or has a null inside an
// array (400), or whose non-null content alone exceeds 8 KiB (413).
// Rejections by the service are *Error too; a 409 carries the current
// document in Error.Current (the client GETs it).
func (c *Client) Update(ctx context.Context, u Update) (*Accepted, error) {
	req, err := c.checkUpdate(u)
	if err != nil {
		return nil, err
	}
	cl, err := c.roundTrip(ctx, shadowdoc.OpUpdate, func(token string) ([]byte, error) {
		req.ClientToken = token
		b, err := shadowdoc.Marshal(req)
		if err != nil {
			return nil, localError(shadowdoc.OpUpdate, err)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	if r := cl.rejected; r != nil {
		e := rejection(shadowdoc.OpUpdate, r)
		if r.Code == shadowdoc.CodeConflict {
			if doc, err := c.Get(ctx); err == nil {
				e.Current = doc
			}
		}
		return nil, e
	}
	return acceptedOf(cl.updateAccepted), nil
}

// checkUpdate builds the request for u and runs the checks the service
// would run on it.
func (c *Client) checkUpdate(u Update) (*shadowdoc.UpdateRequest, error) {
	if u.IsZero() {
		return nil, &Error{Op: string(shadowdoc.OpUpdate), Code: shadowdoc.CodeBadRequest, Message: "empty update", Local: true}
	}
	req, err := u.request()
	if err != nil {
		return nil, localError(shadowdoc.OpUpdate, err)
	}
	if err := shadowdoc.ValidateRequest(req, shadowdoc.Limits{MaxDepth: c.cfg.maxDepth}); err != nil {
		return nil, localError(shadowdoc.OpUpdate, err)
	}
	// The members the update writes end up in the document whatever it
	// holds now, so their size alone bounds the result from below.
	desired, reported := shadowdoc.Merge(nil, req.State.Desired.Fields), shadowdoc.Merge(nil, req.State.Reported.Fields)
	if err := shadowdoc.CheckStateSize(desired, reported, 0); err != nil {
		return nil, localError(shadowdoc.OpUpdate, err)
	}
	return req, nil
}

// errNotFound reports whether err is a 404 from the service.
func errNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
