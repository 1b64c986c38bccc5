package twin

import (
	"context"
	"maps"
	"slices"

	"github.com/tether-iot/tether/internal/twindoc"
	"github.com/tether-iot/tether/transport"
)

// twinState is what the Client knows of the twin. Client.mu guards it.
type twinState struct {
	synced  bool           // a GET has been applied
	version int64          // desired $version applied
	desired map[string]any // desired properties applied

	// pending holds desired patches that cannot be applied yet: all of them
	// before the first GET, later the ones above version+1, by version.
	pending map[int64]map[string]any

	// The reported properties as last known (from a GET, then merged with
	// the patches the hub accepted), for the size check before sending.
	reportedKnown   bool
	reportedVersion int64
	reported        map[string]any
}

// delivery is a DesiredPatch queued for the handler of generation gen.
type delivery struct {
	gen   uint64
	patch DesiredPatch
}

// OnDesiredPatch sets the function called with every change of the desired
// properties, in version order, one call at a time, on a goroutine of the
// Client's; ctx is cancelled by Close. Setting a handler drops the changes
// still queued for the previous one; a nil fn stops the calls.
//
// If the desired properties are known already (the initial GET is done),
// fn is called first with all of them (Patch and Desired both hold the whole
// state, Resynced is true); otherwise the initial GET delivers them that way.
// Then come the patches the hub sends and, after every reconnect or missed
// notification, the difference the Client computes from a GET (Resynced).
// Patches at or below the applied $version are ignored, so no change is
// delivered twice. Values are the Client's copies: fn may keep them.
//
// OnDesiredPatch and OnDesired share one slot: each replaces the other.
func (c *Client) OnDesiredPatch(fn func(ctx context.Context, p DesiredPatch)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handler = fn
	c.gen++
	c.queue = nil
	if fn != nil && c.st.synced {
		c.enqueueLocked(DesiredPatch{
			Version:  c.st.version,
			Patch:    twindoc.Clone(c.st.desired),
			Desired:  twindoc.Clone(c.st.desired),
			Resynced: true,
		})
	}
}

// onDesired receives the hub's desired-patch notifications.
func (c *Client) onDesired(_ context.Context, msg transport.Message) {
	if c.ctx.Err() != nil {
		return
	}
	version, err := twindoc.ParseDesiredTopic(msg.Topic)
	if err != nil {
		c.cfg.log.Warn("twin: dropped a desired patch with a malformed topic", "err", err)
		return
	}
	patch, err := twindoc.ParseDesiredPatch(msg.Payload)
	if err != nil {
		// Its content is lost: read the whole twin instead.
		c.cfg.log.Warn("twin: malformed desired patch; reading the twin", "version", version, "err", err)
		c.requestResync()
		return
	}
	c.applyPatch(version, patch.Values)
}

// applyPatch follows the documented version rule: ignore what the applied
// state contains, apply the next version, keep a later one and GET.
func (c *Client) applyPatch(version int64, patch map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.st.synced {
		c.keepLocked(version, patch) // decided on once the GET is applied
		return
	}
	switch twindoc.DecideDesired(c.st.version, version) {
	case twindoc.PatchIgnore:
		c.cfg.log.Debug("twin: ignored a desired patch already applied", "version", version, "applied", c.st.version)
	case twindoc.PatchResync:
		c.cfg.log.Info("twin: desired version gap; reading the twin", "version", version, "applied", c.st.version)
		c.keepLocked(version, patch)
		c.requestResync()
	case twindoc.PatchApply:
		c.mergeLocked(version, patch)
		c.drainLocked()
	}
}

func (c *Client) keepLocked(version int64, patch map[string]any) {
	if _, dup := c.st.pending[version]; dup || len(c.st.pending) >= c.cfg.maxPending {
		return
	}
	c.st.pending[version] = patch
}

// mergeLocked applies a patch the hub sent and queues it for the handler.
func (c *Client) mergeLocked(version int64, patch map[string]any) {
	c.st.desired = twindoc.Merge(c.st.desired, patch)
	c.st.version = version
	c.enqueueLocked(DesiredPatch{
		Version: version,
		Patch:   twindoc.Clone(patch),
		Desired: twindoc.Clone(c.st.desired),
	})
}

// drainLocked drops the kept patches the applied state contains, applies
// the ones that now follow in sequence, and asks for a GET if a gap remains.
func (c *Client) drainLocked() {
	for _, v := range slices.Sorted(maps.Keys(c.st.pending)) {
		switch twindoc.DecideDesired(c.st.version, v) {
		case twindoc.PatchIgnore:
			delete(c.st.pending, v)
		case twindoc.PatchApply:
			c.mergeLocked(v, c.st.pending[v])
			delete(c.st.pending, v)
		}
	}
	if len(c.st.pending) > 0 {
		c.requestResync()
	}
}

// absorb applies a full twin read by GET: newer desired properties replace
// the applied ones, and the handler receives the difference.
func (c *Client) absorb(tw twindoc.Twin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.st.reportedKnown || tw.Reported.Version >= c.st.reportedVersion {
		c.st.reportedKnown = true
		c.st.reportedVersion = tw.Reported.Version
		c.st.reported = twindoc.Clone(tw.Reported.Values)
	}
	if c.st.synced && tw.Desired.Version <= c.st.version {
		c.drainLocked()
		return
	}
	first := !c.st.synced
	changed := diff(c.st.desired, tw.Desired.Values)
	c.st.synced = true
	c.st.version = tw.Desired.Version
	c.st.desired = twindoc.Clone(tw.Desired.Values)
	if first || len(changed) > 0 {
		c.enqueueLocked(DesiredPatch{
			Version:  tw.Desired.Version,
			Patch:    changed,
			Desired:  twindoc.Clone(c.st.desired),
			Resynced: true,
		})
	}
	c.drainLocked()
}

// enqueueLocked queues p for the current handler, if there is one.
func (c *Client) enqueueLocked(p DesiredPatch) {
	if c.handler == nil {
		return
	}
	c.queue = append(c.queue, delivery{gen: c.gen, patch: p})
	select {
	case c.queued <- struct{}{}:
	default:
	}
}

// deliverLoop calls the handler, one patch at a time, in queue order.
func (c *Client) deliverLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.queued:
		}
		for c.ctx.Err() == nil {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.mu.Unlock()
				break
			}
			d := c.queue[0]
			c.queue[0] = delivery{}
			c.queue = c.queue[1:]
			fn := c.handler
			current := d.gen == c.gen
			c.mu.Unlock()
			if current && fn != nil {
				fn(c.ctx, d.patch)
			}
		}
	}
}
