package shadow

import (
	"context"

	"github.com/tether-iot/tether/internal/shadowdoc"
	"github.com/tether-iot/tether/state"
	"github.com/tether-iot/tether/transport"
)

// receive handles every message on the shadow's topics. It runs on the
// transport's worker of the subscription; it decides under c.mu, queues
// handler calls, and never runs user code.
func (c *Client) receive(_ context.Context, msg transport.Message) {
	t, err := shadowdoc.ParseTopic(msg.Topic)
	if err != nil || t.Thing != c.thing || t.Shadow != c.cfg.name {
		c.cfg.log.Debug("shadow: ignoring a message on an unexpected topic", "topic", msg.Topic)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	switch t.Kind {
	case shadowdoc.KindRejected:
		r, err := shadowdoc.ParseRejected(msg.Payload)
		if err != nil {
			c.malformed(msg.Topic, err)
			return
		}
		c.completeLocked(t.Op, r.ClientToken, func(cl *call) {
			cl.rejected = r
			if t.Op == shadowdoc.OpGet && r.Code == shadowdoc.CodeNotFound && cl.state == c.vs.State {
				c.doc = nil // the shadow is gone, and nothing newer arrived since the GET
				c.redeliver = false
			}
		})
	case shadowdoc.KindAccepted:
		switch t.Op {
		case shadowdoc.OpGet:
			d, err := shadowdoc.ParseGetAccepted(msg.Payload)
			if err != nil {
				c.malformed(msg.Topic, err)
				return
			}
			c.applyDocumentLocked(d)
			c.completeLocked(t.Op, d.ClientToken, func(cl *call) { cl.getAccepted = d })
		case shadowdoc.OpUpdate:
			a, err := shadowdoc.ParseUpdateAccepted(msg.Payload)
			if err != nil {
				c.malformed(msg.Topic, err)
				return
			}
			c.applyUpdateLocked(a)
			c.completeLocked(t.Op, a.ClientToken, func(cl *call) { cl.updateAccepted = a })
		case shadowdoc.OpDelete:
			d, err := shadowdoc.ParseDeleteAccepted(msg.Payload)
			if err != nil {
				c.malformed(msg.Topic, err)
				return
			}
			if d.Version >= c.vs.State { // delete/accepted carries the deleted version
				c.doc = nil
				c.vs.State = d.Version
			}
			c.completeLocked(t.Op, d.ClientToken, func(*call) {})
		}
	case shadowdoc.KindDelta:
		d, err := shadowdoc.ParseDelta(msg.Payload)
		if err != nil {
			c.malformed(msg.Topic, err)
			return
		}
		c.applyDeltaLocked(d)
	case shadowdoc.KindDocuments:
		d, err := shadowdoc.ParseDocuments(msg.Payload)
		if err != nil {
			c.malformed(msg.Topic, err)
			return
		}
		c.applyDocumentsLocked(d)
	}
}

func (c *Client) malformed(topic string, err error) {
	c.cfg.log.Warn("shadow: ignoring a malformed message", "topic", topic, "err", err)
}

// applyDocumentLocked applies a get/accepted if it is newer than the state
// applied, and delivers its delta if that is newer than the last delivered
// (or a redelivery was asked for).
func (c *Client) applyDocumentLocked(d *shadowdoc.Document) {
	if c.vs.CheckDocument(d.Version) == shadowdoc.Apply {
		doc := *d
		doc.ClientToken = ""
		c.doc = &doc
		c.vs.State = d.Version
	}
	// A redelivery asked for is done by the first GET that is current.
	redeliver := c.redeliver && d.Version >= c.vs.State
	if redeliver {
		c.redeliver = false
	}
	if d.State.Delta == nil || !redeliver && c.vs.CheckDelta(d.Version) != shadowdoc.Apply {
		return
	}
	c.vs.Delta = max(c.vs.Delta, d.Version)
	c.enqueueDeltaLocked(Delta{
		State:     clone(d.State.Delta),
		Metadata:  shadowdoc.DeltaMetadata(d.State.Delta, d.Metadata.Desired),
		Version:   d.Version,
		Timestamp: unixTime(d.Timestamp),
		Desired:   clone(d.State.Desired),
	})
}

// applyUpdateLocked applies an update/accepted (the client's own, or any
// other writer's) on the state it follows; a gap means updates were missed.
func (c *Client) applyUpdateLocked(a *shadowdoc.UpdateAccepted) {
	switch c.vs.CheckUpdate(a.Version) {
	case shadowdoc.Apply:
		var base shadowdoc.Document // no document yet, or deleted: the update starts from nothing
		if c.doc != nil {
			base = *c.doc
		}
		next := shadowdoc.ApplyState(base, a.State, a.Timestamp)
		next.Version = a.Version
		c.doc = &next
		c.vs.State = a.Version
	case shadowdoc.Resync:
		c.resyncLocked(false)
	}
}

// applyDeltaLocked delivers an update/delta if it is the next one; a gap
// means updates were missed.
func (c *Client) applyDeltaLocked(d *shadowdoc.DeltaMessage) {
	switch c.vs.CheckDelta(d.Version) {
	case shadowdoc.Apply:
		c.vs.Delta = d.Version
		c.redeliver = false // the handlers get the current delta now
		var desired map[string]any
		if c.doc != nil {
			desired = c.doc.State.Desired
		}
		c.enqueueDeltaLocked(Delta{
			State:     d.State,
			Metadata:  d.Metadata,
			Version:   d.Version,
			Timestamp: unixTime(d.Timestamp),
			Desired:   shadowdoc.Merge(desired, d.State),
		})
	case shadowdoc.Resync:
		c.resyncLocked(false)
	}
}

// applyDocumentsLocked applies the current document of update/documents if
// it is newer, and hands the pair to the documents handler.
func (c *Client) applyDocumentsLocked(m *shadowdoc.DocumentsMessage) {
	cur := snapshotDocument(m.Current, m.Timestamp)
	if c.vs.CheckDocument(cur.Version) == shadowdoc.Apply {
		c.doc = &cur
		c.vs.State = cur.Version
	}
	if m.Current.Version <= c.docsVersion || c.cfg.onDocuments == nil {
		return
	}
	c.docsVersion = m.Current.Version
	docs := Documents{Current: *documentOf(&cur), ClientToken: m.ClientToken, Timestamp: unixTime(m.Timestamp)}
	if m.Previous != nil {
		prev := snapshotDocument(*m.Previous, 0)
		docs.Previous = documentOf(&prev)
	}
	fn := c.cfg.onDocuments
	c.enqueueLocked(func(ctx context.Context) { fn(ctx, docs) })
}

// enqueueDeltaLocked queues the delta for the delta and desired handlers
// set when it runs.
func (c *Client) enqueueDeltaLocked(d Delta) {
	if c.onDelta == nil && c.onDesired == nil {
		return // setting a handler GETs and delivers the current delta
	}
	c.enqueueLocked(func(ctx context.Context) {
		c.mu.Lock()
		onDelta, onDesired := c.onDelta, c.onDesired
		c.mu.Unlock()
		if onDelta != nil {
			onDelta(ctx, d)
		}
		if onDesired != nil {
			onDesired(ctx, state.Desired{Version: d.Version, State: clone(d.Desired), Changed: clone(d.State)})
		}
	})
}

// enqueueLocked queues a handler call for the dispatch goroutine. When the
// queue is full the call is dropped and, once the queue drains, a GET
// redelivers the current delta, which supersedes the dropped ones.
func (c *Client) enqueueLocked(fn func(context.Context)) {
	if len(c.queue) >= c.cfg.handlerQueue {
		if !c.overflowed {
			c.cfg.log.Warn("shadow: handler queue full; the current delta will be redelivered", "queue", c.cfg.handlerQueue)
		}
		c.overflowed = true
		return
	}
	c.queue = append(c.queue, fn)
	select {
	case c.wakeC <- struct{}{}:
	default:
	}
}

// dispatchLoop runs queued handler calls one at a time, in order.
func (c *Client) dispatchLoop() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		var fn func(context.Context)
		if len(c.queue) > 0 {
			fn = c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
		} else if c.overflowed {
			c.overflowed = false
			c.resyncLocked(true)
		}
		c.mu.Unlock()
		if fn != nil {
			if c.ctx.Err() != nil {
				return
			}
			fn(c.ctx)
			continue
		}
		select {
		case <-c.wakeC:
		case <-c.ctx.Done():
			return
		}
	}
}
