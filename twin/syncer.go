package twin

import (
	"context"

	"github.com/tether-iot/tether/state"
)

// Report merges reported into the reported properties: UpdateReported
// without the version.
func (c *Client) Report(ctx context.Context, reported map[string]any) error {
	_, err := c.UpdateReported(ctx, reported)
	return err
}

// Desired reads the desired properties from the hub (a GET): State holds
// them without $version and $metadata, Version is their $version, Changed
// is nil.
func (c *Client) Desired(ctx context.Context) (state.Desired, error) {
	tw, err := c.Get(ctx)
	if err != nil {
		return state.Desired{}, err
	}
	return state.Desired{Version: tw.Desired.Version, State: tw.Desired.Values}, nil
}

// OnDesired is OnDesiredPatch for cloud-neutral code: Version is the
// desired $version, Changed the patch (nil values are deletions), State the
// whole desired state once it is applied.
func (c *Client) OnDesired(fn func(ctx context.Context, d state.Desired)) {
	if fn == nil {
		c.OnDesiredPatch(nil)
		return
	}
	c.OnDesiredPatch(func(ctx context.Context, p DesiredPatch) {
		fn(ctx, state.Desired{Version: p.Version, State: p.Desired, Changed: p.Patch})
	})
}
