package shadow

import (
	"context"
	"time"

	"github.com/tether-iot/tether/internal/backoff"
)

// requestResync asks the resync goroutine for a GET; redeliver makes the
// GET's delta go to the handlers even if it was delivered before.
func (c *Client) requestResync(redeliver bool) {
	c.mu.Lock()
	c.resyncLocked(redeliver)
	c.mu.Unlock()
}

// resyncLocked is requestResync with c.mu held.
func (c *Client) resyncLocked(redeliver bool) {
	if redeliver {
		c.redeliver = true
	}
	select {
	case c.resyncC <- struct{}{}:
	default: // a GET is already due: it will do
	}
}

// resyncLoop makes the GETs asked for, one at a time, retrying a failed one
// with backoff until it succeeds or a new request restarts the count. The
// response is applied like any get/accepted (receive).
func (c *Client) resyncLoop() {
	defer c.wg.Done()
	policy := backoff.Policy{Max: c.cfg.resyncMaxBackoff}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	attempt := 0
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.resyncC:
			attempt = 0
		case <-retry.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.resyncTimeout)
		_, err := c.Get(ctx)
		cancel()
		if c.ctx.Err() != nil {
			return
		}
		retry.Stop()
		if err == nil || errNotFound(err) {
			continue
		}
		attempt++
		d := policy.Delay(attempt)
		c.cfg.log.Debug("shadow: resync GET failed; retrying", "err", err, "in", d)
		retry.Reset(d)
	}
}
