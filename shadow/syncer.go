package shadow

import (
	"context"

	"github.com/tether-iot/tether/state"
)

// Report merges reported into the reported state (state.Syncer).
func (c *Client) Report(ctx context.Context, reported map[string]any) error {
	_, err := c.UpdateReported(ctx, reported)
	return err
}

// Desired GETs the shadow and returns its desired state (state.Syncer):
// State is the whole desired state, Changed the delta, Version the
// document's version. A shadow that does not exist has no desired state:
// the zero Desired, no error.
func (c *Client) Desired(ctx context.Context) (state.Desired, error) {
	doc, err := c.Get(ctx)
	if errNotFound(err) {
		return state.Desired{}, nil
	}
	if err != nil {
		return state.Desired{}, err
	}
	return state.Desired{Version: doc.Version, State: doc.Desired, Changed: doc.Delta}, nil
}

// OnDesired sets the function called with every delta (state.Syncer),
// like OnDelta: Changed is the delta, State the whole desired state as far
// as the client knows it, Version the shadow version. Both OnDelta's and
// OnDesired's functions are called if both are set.
func (c *Client) OnDesired(fn func(ctx context.Context, d state.Desired)) {
	c.mu.Lock()
	c.onDesired = fn
	c.mu.Unlock()
	if fn != nil {
		c.requestResync(true)
	}
}
