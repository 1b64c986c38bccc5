package main

import (
	"context"

	"github.com/tether-iot/tether/examples/internal/stateconn"
)

// connect connects to cfg's cloud as the flags say.
func connect(ctx context.Context, cfg config) (*stateconn.Device, error) {
	return cfg.conn.Connect(ctx, cfg.cloud)
}
