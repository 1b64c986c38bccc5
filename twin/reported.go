package twin

import (
	"fmt"

	"github.com/tether-iot/tether/internal/twindoc"
)

// prepareReported turns a reported patch into the document and the bytes
// to send: marshalled (so any encodable value works), decoded back to
// JSON values, its keys mapped, and checked against the hub's rules. It
// does no I/O.
func (c *Client) prepareReported(patch map[string]any) (map[string]any, []byte, error) {
	if patch == nil {
		return nil, nil, fmt.Errorf("%w: nil patch", ErrInvalidPatch)
	}
	doc, err := twindoc.Normalize(patch)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	if c.cfg.mapKey != nil {
		if doc, err = twindoc.MapKeys(doc, c.cfg.mapKey); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
		}
	}
	if err := twindoc.Validate(doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	b, err := twindoc.Encode(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	return doc, b, nil
}

// checkMergedSize refuses a patch that would make the reported properties,
// as last known, larger than the hub accepts.
func (c *Client) checkMergedSize(doc map[string]any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.st.reportedKnown {
		return nil
	}
	if err := twindoc.CheckSize(twindoc.Merge(c.st.reported, doc)); err != nil {
		return fmt.Errorf("%w: reported properties once merged: %w", ErrInvalidPatch, err)
	}
	return nil
}

// reported records a patch the hub accepted with res.
func (c *Client) reported(doc map[string]any, res twindoc.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.st.reportedKnown {
		return
	}
	c.st.reported = twindoc.Merge(c.st.reported, doc)
	if res.HasVersion && res.Version > c.st.reportedVersion {
		c.st.reportedVersion = res.Version
	}
}
