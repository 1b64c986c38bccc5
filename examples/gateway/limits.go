package main

import (
	"context"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/outbox"
)

// outboxShare returns one leaf's share of the gateway's outbox budget:
// the totals split evenly, but never below one message of the largest
// size AWS IoT Core accepts, which could otherwise never be queued.
func outboxShare(totalBytes int64, totalMessages, leaves int) outbox.Options {
	return outbox.Options{
		MaxBytes:    max(totalBytes/int64(leaves), awsiot.MaxPayloadSize),
		MaxMessages: max(totalMessages/leaves, 1),
		Full:        outbox.DropOldest, // fresh telemetry is worth more than stale
	}
}

// commandPool bounds the commands running at once across every leaf of
// the gateway. It is safe for concurrent use.
type commandPool struct {
	slots chan struct{}
}

func newCommandPool(n int) *commandPool {
	return &commandPool{slots: make(chan struct{}, n)}
}

// Wrap returns h running in the pool. A command waits for a slot until its
// deadline (then 504) instead of being answered 503 at once: the command
// server remembers a handler's answer for its TID and would replay a 503
// to every retry. (The per-leaf limit, command.WithMaxConcurrent, answers
// 503 before the handler, which is not remembered: a retry runs.)
func (p *commandPool) Wrap(h command.Handler) command.Handler {
	return command.HandlerFunc(func(ctx context.Context, req *command.Request) command.Response {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return command.ErrorResponse(ctx.Err())
		}
		defer func() { <-p.slots }()
		return h.ServeCommand(ctx, req)
	})
}
