package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/examples/internal/firmware"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
)

// shutdownTimeout bounds the orderly shutdown of one leaf.
const shutdownTimeout = 5 * time.Second

// leafNames returns the leaves' thing names.
func leafNames(cfg config) []string {
	names := make([]string, cfg.devices)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", cfg.prefix, i+1)
	}
	return names
}

// certFiles returns a leaf's certificate and key files in -cert-dir.
func certFiles(cfg config, name string) (certFile, keyFile string) {
	if cfg.certDir == "" {
		return "", ""
	}
	return filepath.Join(cfg.certDir, name+".cert.pem"), filepath.Join(cfg.certDir, name+".private.key")
}

// gateway is the running gateway: the leaves' connections and what they
// share.
type gateway struct {
	cfg      config
	con      *cli.Console
	pool     *commandPool  // commands running at once, gateway-wide
	connects *rate.Limiter // connects per second, gateway-wide
	start    time.Time
}

// runGateway builds every leaf's transport (validating the whole
// configuration before any connection), then runs the leaves until ctx
// ends. A leaf that fails is logged and the others keep running; the
// failures are returned at the end.
func runGateway(ctx context.Context, cfg config, con *cli.Console) error {
	if err := cfg.check(); err != nil {
		return err
	}
	share := outboxShare(cfg.outboxBytes, cfg.outboxMessages, cfg.devices)
	names := leafNames(cfg)
	conns := make([]*transport.Conn, 0, len(names))
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		for _, tr := range conns {
			_ = tr.Close(sctx)
		}
	}()
	for _, name := range names {
		certFile, keyFile := certFiles(cfg, name)
		ac, err := cfg.conn.Config(name, certFile, keyFile)
		if err != nil {
			return err
		}
		ac.Outbox = share
		if cfg.stateDir != "" {
			ac.Outbox.Dir = filepath.Join(cfg.stateDir, name, "outbox")
		}
		tr, err := awsiot.New(ac)
		if err != nil {
			return fmt.Errorf("%s: %w", name, settings.Explain(err))
		}
		conns = append(conns, tr)
	}
	if err := cfg.conn.CheckCredentials(); err != nil {
		return err
	}

	g := &gateway{
		cfg:      cfg,
		con:      con,
		pool:     newCommandPool(cfg.gatewayCommands),
		connects: rate.NewLimiter(rate.Limit(cfg.connectRate), 1),
		start:    time.Now(),
	}
	con.Printf("gateway", "%d leaves; each: outbox of %d messages / %d KiB, %d commands at once; %d commands at once in all; connects: %g/s, jitter up to %v",
		cfg.devices, share.MaxMessages, share.MaxBytes>>10, cfg.deviceCommands, cfg.gatewayCommands, cfg.connectRate, cfg.connectJitter)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = g.runLeaf(ctx, names[i], conns[i]); errs[i] != nil {
				con.Printf(names[i], "stopped: %v", errs[i])
				errs[i] = fmt.Errorf("%s: %w", names[i], errs[i])
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runLeaf connects one leaf, in its turn, and serves it until ctx ends.
func (g *gateway) runLeaf(ctx context.Context, name string, tr *transport.Conn) error {
	logf := g.con.Logf(name)
	if err := g.waitTurn(ctx); err != nil {
		return nil // stopped before its turn
	}
	if err := tr.Connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("connecting: %w", err)
	}
	logf("connected %v after the gateway started", time.Since(g.start).Round(time.Millisecond))

	fw := firmware.New(name, firmware.Options{
		Interval: g.cfg.interval,
		Logf:     logf,
		OnReboot: func() { logf("(the leaf behind the gateway restarts; its connection stays up)") },
	})
	leafDir := ""
	if g.cfg.stateDir != "" {
		leafDir = filepath.Join(g.cfg.stateDir, name)
	}
	stopCommands, err := firmware.ServeCommands(ctx, tr, g.pool.Wrap(fw.Router()), leafDir, setStateDir,
		command.WithMaxConcurrent(g.cfg.deviceCommands), command.WithGroups(g.cfg.group))
	if err != nil {
		return err
	}
	err = fw.RunTelemetry(ctx, tr)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return errors.Join(err, stopCommands(sctx))
}

// waitTurn waits a random delay of up to -connect-jitter, then for a
// connect slot under -connect-rate.
func (g *gateway) waitTurn(ctx context.Context) error {
	if g.cfg.connectJitter > 0 {
		t := time.NewTimer(rand.N(g.cfg.connectJitter))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return g.connects.Wait(ctx)
}
