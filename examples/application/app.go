package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/examples/internal/awscli"
	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/transport"
	"github.com/tether-iot/tether/transport/awsiot"
)

// closeTimeout bounds closing the invoker and the connection.
const closeTimeout = 5 * time.Second

// app is a connected application.
type app struct {
	tr   *transport.Conn
	inv  *command.Invoker
	logf func(format string, args ...any)
}

// connect connects the application to AWS IoT Core and readies its
// Invoker. The Invoker subscribes once to every device's responses and
// matches them to the calls waiting by TID.
func connect(ctx context.Context, cfg config, con *cli.Console) (*app, error) {
	ac, err := cfg.conn.Config(cfg.thing, cfg.certFile, cfg.keyFile)
	if err != nil {
		return nil, err
	}
	tr, err := awsiot.New(ac)
	if err != nil {
		return nil, settings.Explain(err)
	}
	if err := cfg.conn.CheckCredentials(); err != nil {
		return nil, errors.Join(err, tr.Close(context.Background()))
	}
	logf := con.Logf("app")
	logf("connecting to %s as %q over %s", ac.Endpoint, ac.ThingName, awscli.Describe(ac))
	if err := tr.Connect(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connecting: %w", err), tr.Close(context.Background()))
	}
	inv := command.NewInvoker(tr, command.InvokerConfig{
		Sender:         cfg.sender,
		Attempts:       cfg.attempts,
		AttemptTimeout: cfg.attemptTimeout,
	})
	return &app{tr: tr, inv: inv, logf: logf}, nil
}

// Close closes the Invoker and the connection.
func (a *app) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return errors.Join(a.inv.Close(ctx), a.tr.Close(ctx))
}

// callOptions are the options of a call: the TID to retry, if any.
func callOptions(tid string) []command.CallOption {
	if tid == "" {
		return nil
	}
	return []command.CallOption{command.WithTID(tid)}
}

// payload returns a JSON payload for the Invoker, nil for none.
func payload(s string) any {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }

// invoke sends method to device and prints the answer. A failure status
// is an error (*command.StatusError); so is silence
// (*command.TimeoutError), whose TID can be retried safely.
func (a *app) invoke(ctx context.Context, device, method, body, tid string) error {
	res, err := a.inv.Invoke(ctx, device, method, payload(body), callOptions(tid)...)
	var timeout *command.TimeoutError
	var status *command.StatusError
	switch {
	case errors.As(err, &timeout):
		a.logf("%s %s: no answer after %d attempts; it may or may not have run: retry safely with -tid %s",
			device, method, timeout.Attempts, timeout.TID)
		return err
	case errors.As(err, &status):
		a.logf("%s %s → %d %s (tid %s)", device, method, status.Status, status.Message, status.TID)
		return err
	case err != nil:
		return err
	}
	a.logf("%s %s → %d %s (tid %s, %d attempt(s))", device, method, res.Status, res.Payload, res.TID, res.Attempts)
	return nil
}

// invokeGroup sends method once to every member of group and prints who
// answered what, and which expected devices stayed silent.
func (a *app) invokeGroup(ctx context.Context, group, method, body string, expect []string, tid string) error {
	res, err := a.inv.InvokeGroup(ctx, group, method, payload(body), expect, callOptions(tid)...)
	if err != nil && res == nil {
		return err
	}
	a.logf("group %s %s (tid %s): %d answer(s)", group, method, res.TID, len(res.Answers))
	failed := 0
	for _, r := range res.Answers {
		a.logf("  %s → %d %s", r.Device, r.Status, r.Payload)
		if r.Status >= 400 {
			failed++
		}
	}
	if len(res.Missing) > 0 {
		a.logf("  no answer from %s: retry them with -tid %s", strings.Join(res.Missing, ", "), res.TID)
	}
	if err == nil && (failed > 0 || len(res.Missing) > 0) {
		err = fmt.Errorf("group %s: %d failed, %d did not answer", group, failed, len(res.Missing))
	}
	return err
}
