package shadow

import (
	"context"
	"errors"
)

// Modify runs a read-modify-write with optimistic locking: it calls fn
// with the shadow's document (the last one seen, or a GET's; an empty one
// with Version 0 when the shadow does not exist) and sends the Update fn
// returns, conditional on that document's version. On a version conflict
// it calls fn again with the current document, up to the
// WithMaxConflictRetries limit, then returns the conflict.
//
// fn may run several times and must not have side effects. An error from
// fn is returned as is; a zero Update sends nothing and Modify returns
// (nil, nil). fn's Update.Version is ignored.
func (c *Client) Modify(ctx context.Context, fn func(doc Document) (Update, error)) (*Accepted, error) {
	doc, ok := c.Document()
	if !ok {
		var err error
		if doc, err = c.getOrEmpty(ctx); err != nil {
			return nil, err
		}
	}
	for retries := 0; ; retries++ {
		u, err := fn(doc)
		if err != nil {
			return nil, err
		}
		if u.IsZero() {
			return nil, nil
		}
		u.Version = doc.Version
		acc, err := c.Update(ctx, u)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(e, ErrVersionConflict) || retries >= c.cfg.maxConflictRetries {
			return acc, err
		}
		if e.Current != nil {
			doc = *e.Current
			continue
		}
		var gerr error
		if doc, gerr = c.getOrEmpty(ctx); gerr != nil {
			return nil, errors.Join(err, gerr)
		}
	}
}

// getOrEmpty GETs the shadow's document; a shadow that does not exist is
// the empty document, version 0.
func (c *Client) getOrEmpty(ctx context.Context) (Document, error) {
	d, err := c.Get(ctx)
	switch {
	case errNotFound(err):
		return Document{}, nil
	case err != nil:
		return Document{}, err
	}
	return *d, nil
}
