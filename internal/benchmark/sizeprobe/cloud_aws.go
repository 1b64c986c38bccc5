//go:build sizeprobe_aws

package main

import (
	"context"

	"github.com/tether-iot/tether/internal/benchmark/pubcli"
)

func run(ctx context.Context, cfg pubcli.Config) error { return runAWS(ctx, cfg) }
