package mqttx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// The reconnect loop: connecting with backoff, parking once connected, reconnecting after a loss.

// run is one execution of the reconnect loop, from Connect to Disconnect
// (or to Connect giving up). Its goroutine runs only while connecting:
// once connected it parks the run and ends, and the loss of the
// connection starts it again (connectionLost), so that a connected
// client holds no goroutine of its own.
//
// Each goroutine of the run has its own context, cancelled when it ends:
// the contexts of connection attempts derive from it, and a context that
// lived as long as the run would keep the map of its past children for
// good (memory per device).
type run struct {
	up    chan struct{}  // closed when first connected (registry re-subscribed), or when the run ended before
	ended sync.WaitGroup // done when the run has ended
	// Guarded by Client.mu.
	err     error              // why the run ended before connecting (nil once connected)
	lastErr error              // the last attempt's error
	parked  bool               // connected, with no goroutine running
	lost    bool               // a loss was reported while the goroutine ran
	stopped bool               // stopRun was called: the run is ending
	cancel  context.CancelFunc // cancels the running goroutine's context; nil while parked
	// Carried from one goroutine of the run to the next (handed over
	// under Client.mu).
	attempt int       // attempts since the backoff was last reset
	upAt    time.Time // when the current connection came up
}

// loop connects and, after a lost connection (resumed), reconnects with full-jitter backoff. Once
// connected it parks the run and returns; connectionLost starts it again.
func (c *Client) loop(r *run, resumed bool) {
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	r.cancel = cancel
	if r.stopped {
		cancel()
	}
	c.mu.Unlock()
	parked := false
	defer func() {
		cancel()
		if !parked {
			c.endRun(r)
		}
	}()
	attempt := r.attempt
	if resumed && !c.afterLoss(ctx, r, &attempt) {
		return
	}
	for {
		attempt++
		c.events.emit(Event{Kind: EventConnecting, Attempt: attempt})
		if c.log.Enabled(ctx, slog.LevelDebug) { // redactURL parses the URL: not for a message nobody reads
			c.log.Debug("mqttx: connecting", slog.Int("attempt", attempt), slog.String("server", redactURL(c.opts.Server)))
		}
		sessionPresent, err := c.connectOnce(ctx)
		if err == nil {
			err = c.resubscribe(ctx)
			if err != nil {
				c.dropConnection() // unusable; reported as a failed attempt below
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			c.log.Info("mqttx: connected", slog.Int("attempt", attempt), slog.Bool("session_present", sessionPresent))
			// Emitted before r.up is closed: Connect waits for the
			// events emitted before it, so OnEvent has seen this one when
			// Connect returns.
			c.events.emit(Event{Kind: EventConnected, Attempt: attempt, SessionPresent: sessionPresent})
			if !isClosed(r.up) {
				close(r.up)
			}
			if parked = c.park(r, attempt); parked || ctx.Err() != nil {
				return
			}
			if !c.afterLoss(ctx, r, &attempt) {
				return
			}
			continue
		}
		if err2 := c.waitDown(ctx); err2 != nil {
			return
		}
		var ce *ConnectError
		if !isClosed(r.up) && errors.As(err, &ce) && ce.Permanent() {
			c.mu.Lock()
			r.err, r.lastErr = err, err
			c.mu.Unlock()
			c.log.Warn("mqttx: connection refused", slog.Int("attempt", attempt), slog.Any("err", err))
			c.events.emit(Event{Kind: EventConnectFailed, Attempt: attempt, Err: err})
			return
		}
		c.mu.Lock()
		r.lastErr = err
		c.mu.Unlock()
		delay := c.policy.Delay(attempt)
		c.log.Warn("mqttx: connect failed", slog.Int("attempt", attempt), slog.Any("err", err), slog.Duration("retry_in", delay))
		c.events.emit(Event{Kind: EventConnectFailed, Attempt: attempt, Err: err, Delay: delay})
		if !sleep(ctx, delay) {
			return
		}
	}
}

// park ends the loop's goroutine once connected, unless the connection was already lost (then the
// loop goes on). A loss reported while connecting may be a late report about an earlier connection.
// paho reports the loss of a connection only after it stops counting it as connected, so reading
// IsConnectionOpen after seeing the report tells the two apart: not open, this connection is gone;
// open, the report was about an earlier one. (Read before seeing the report, "open" could predate
// the loss, and the loop would park on a dead connection.) paho is not called under c.mu: it calls
// back into c under its own locks.
func (c *Client) park(r *run, attempt int) bool {
	upAt := time.Now()
	for {
		c.mu.Lock()
		r.attempt, r.upAt = attempt, upAt
		switch {
		case r.stopped:
			c.mu.Unlock()
			return false // the loop's exit ends the run
		case !r.lost:
			r.parked, r.cancel = true, nil
			c.mu.Unlock()
			return true
		}
		r.lost = false
		c.mu.Unlock()
		if !c.paho.IsConnectionOpen() {
			return false
		}
	}
}

// afterLoss reports a lost connection and waits for the backoff before the next attempt (none for a
// requested reconnect). It returns false if the run ended meanwhile.
func (c *Client) afterLoss(ctx context.Context, r *run, attempt *int) bool {
	c.mu.Lock()
	c.connected = false
	reason := c.lostErr
	requested := c.reconnectNow
	c.reconnectNow = false
	upAt := r.upAt
	c.mu.Unlock()
	if requested {
		reason = ErrReconnectRequested
	} else if reason == nil {
		reason = ErrConnectionLost
	}
	lost := fmt.Errorf("%w: %w", ErrConnectionLost, reason)
	if time.Since(upAt) >= c.opts.BackoffResetAfter {
		*attempt = 0
	}
	if requested {
		*attempt = 0
		c.log.Info("mqttx: reconnecting on request")
		c.events.emit(Event{Kind: EventConnectionLost, Err: lost})
		return ctx.Err() == nil
	}
	delay := c.policy.Delay(max(*attempt, 1))
	c.log.Warn("mqttx: connection lost", slog.Any("err", lost), slog.Duration("retry_in", delay))
	c.events.emit(Event{Kind: EventConnectionLost, Attempt: *attempt, Err: lost, Delay: delay})
	return sleep(ctx, delay)
}

// connectionLost restarts the parked loop after the connection was lost (paho's callback) or
// dropped for Reconnect; while the loop runs, it notes the loss for park. A report about an earlier
// connection comes when a newer one is open and is ignored. The look at paho (not under c.mu) is
// taken again if a connection came up meanwhile, so that it describes the newest connection.
func (c *Client) connectionLost() {
	for {
		c.mu.Lock()
		ups := c.ups
		c.mu.Unlock()
		if c.paho.IsConnectionOpen() {
			return // a late report about an earlier connection
		}
		c.mu.Lock()
		if c.ups != ups {
			c.mu.Unlock()
			continue // a connection came up while we looked: look again
		}
		r := c.run
		switch {
		case r == nil || c.closed || r.stopped:
		case r.parked:
			r.parked = false
			go c.loop(r, true)
		default:
			r.lost = true
		}
		c.mu.Unlock()
		return
	}
}

// stopRun makes run r end: its running goroutine, if any, returns at once (every wait in the loop
// honours its context), and a parked run is not resumed.
func (c *Client) stopRun(r *run) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r.stopLocked()
}

// stopLocked marks r stopped and cancels its running goroutine, if any.
// Client.mu is held.
func (r *run) stopLocked() {
	r.stopped = true
	if r.cancel != nil {
		r.cancel()
	}
}

// abandonRun stops run r for a Connect whose ctx ended, unless r.up was
// closed meanwhile (it returns false): the run connected and goes on (it
// may already be parked, with no goroutine left to end it), or it ended by
// itself.
func (c *Client) abandonRun(r *run) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if isClosed(r.up) {
		return false
	}
	r.stopLocked()
	return true
}

// endRun ends run r: it leaves paho disconnected unless the client is closed (Disconnect does that
// itself, bounded by its ctx), records why Connect failed (closing r.up if it never connected), and
// marks r ended.
func (c *Client) endRun(r *run) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		// Connect gave up (ctx or refusal): leave paho disconnected for the next Connect.
		c.pahoDisconnect(context.Background())
	}
	c.mu.Lock()
	if c.run == r {
		c.run = nil
	}
	c.connected = false
	if r.err == nil && !isClosed(r.up) {
		r.err = ErrClosed
		if !c.closed {
			r.err = fmt.Errorf("mqttx: connect: %w", context.Canceled)
		}
	}
	if !isClosed(r.up) {
		close(r.up) // Connect reads r.err
	}
	c.mu.Unlock()
	r.ended.Done()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// connectOnce makes one connection attempt: credentials, dial, CONNECT/CONNACK.
func (c *Client) connectOnce(ctx context.Context) (sessionPresent bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	creds := Credentials{Username: c.opts.Username, Password: c.opts.Password}
	if c.opts.Credentials != nil {
		if creds, err = c.opts.Credentials(actx); err != nil {
			return false, fmt.Errorf("mqttx: credentials: %w", err)
		}
	}
	c.mu.Lock()
	c.attemptCtx, c.creds, c.dialErr, c.conn = actx, creds, nil, nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.attemptCtx = nil
		c.creds = Credentials{} // do not keep the secret around longer than needed
		c.mu.Unlock()
	}()

	var tok *mqtt.ConnectToken
	for {
		tok = c.paho.Connect().(*mqtt.ConnectToken)
		select {
		case <-tok.Done():
		case <-actx.Done():
			c.closeConn() // the dial honours actx; closing fails the CONNECT/CONNACK exchange at once
			<-tok.Done()
		}
		if err := tok.Error(); err != nil && isStatusRace(err) && actx.Err() == nil {
			// paho is still tearing down the previous connection.
			if !sleep(actx, statusRetry) {
				break
			}
			continue
		}
		break
	}

	rc := tok.ReturnCode()
	c.mu.Lock()
	dialErr := c.dialErr
	c.mu.Unlock()
	switch {
	case tok.Error() == nil && rc == packets.Accepted && actx.Err() == nil:
		c.mu.Lock()
		c.connected = true
		c.ups++
		for _, s := range c.subs.All() {
			s.sent = false
		}
		c.mu.Unlock()
		return tok.SessionPresent(), nil
	case tok.Error() == nil && rc == packets.Accepted:
		// Connected just as the attempt was abandoned: drop the connection.
		c.dropConnection()
		return false, fmt.Errorf("mqttx: connect: %w", actx.Err())
	case rc != packets.Accepted && rc < packets.ErrNetworkError:
		return false, &ConnectError{Code: rc}
	case ctx.Err() != nil:
		return false, fmt.Errorf("mqttx: connect: %w", ctx.Err())
	case actx.Err() != nil:
		return false, fmt.Errorf("mqttx: connect: no CONNACK within %v: %w", c.opts.ConnectTimeout, actx.Err())
	case dialErr != nil:
		return false, fmt.Errorf("mqttx: connect: %w", dialErr)
	default:
		return false, fmt.Errorf("mqttx: connect: %w", tok.Error())
	}
}

// isStatusRace reports paho's refusal to connect while its status has not yet returned to
// "disconnected" (it completes a failed connect token before updating its status).
func isStatusRace(err error) bool {
	s := err.Error()
	return strings.Contains(s, "status is already connected or reconnecting") ||
		strings.Contains(s, "status can only transition to connecting from disconnected")
}

// waitDown waits, after a failed attempt, until paho no longer holds a connection (an attempt
// abandoned just as it succeeded leaves one being torn down).
func (c *Client) waitDown(ctx context.Context) error {
	for c.paho.IsConnectionOpen() {
		if !sleep(ctx, statusRetry) {
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.connected = false
	c.mu.Unlock()
	return nil
}

// onConnectionLost is paho's connection-lost callback (on a goroutine of paho's).
func (c *Client) onConnectionLost(_ mqtt.Client, err error) {
	c.mu.Lock()
	c.lostErr = err
	c.mu.Unlock()
	c.connectionLost()
}
