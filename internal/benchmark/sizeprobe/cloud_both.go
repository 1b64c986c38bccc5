//go:build sizeprobe_both

package main

import (
	"context"
	"fmt"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
)

func run(ctx context.Context, cfg pubcli.Config) error {
	switch cfg.Cloud {
	case "aws":
		return runAWS(ctx, cfg)
	case "azure":
		return runAzure(ctx, cfg)
	}
	return fmt.Errorf("unknown cloud %q", cfg.Cloud)
}
