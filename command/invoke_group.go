package command

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// GroupResult is what the members of a group answered to one command.
type GroupResult struct {
	Group  string
	Method string
	TID    string
	// Answers holds one answer per device that answered, sorted by device,
	// whatever its status (a 4xx or 5xx is an answer too). Devices not in
	// the expected list are included.
	Answers []Result
	// Missing lists the expected devices that did not answer, in the order
	// they were given.
	Missing []string
}

// InvokeGroup sends method with payload once to every member of group (see
// [GroupRequestTopic] and [WithGroups]) and collects the answers, one per
// device, until ctx's deadline (without one, as for [Invoker.Invoke]),
// or until every expected device has answered. expected lists the devices
// that should answer; it may be empty, and then collection always lasts
// until the deadline.
//
// While expected devices are silent or answered 503, the request is
// published again every AttemptTimeout, up to Attempts times, with the same
// TID: members that already ran it answer from their cache. A later answer
// replaces a 503.
//
// The error is non-nil only when the request could not be sent at all, or
// ctx was cancelled (then the answers so far come with it); silent devices
// are reported in Missing, not as an error.
func (iv *Invoker) InvokeGroup(ctx context.Context, group, method string, payload any, expected []string, opts ...CallOption) (*GroupResult, error) {
	co := newCallConfig(opts)
	body, err := encodePayload(payload)
	if err != nil {
		return nil, err
	}
	topic, err := GroupRequestTopic(group, method)
	if err != nil {
		return nil, err
	}
	if err := iv.subscribe(ctx); err != nil {
		return nil, err
	}
	c, err := iv.register(co.tid, "", max(1024, 4*len(expected)))
	if err != nil {
		return nil, err
	}
	defer iv.unregister(c)

	deadline := iv.deadline(ctx)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	req := Request{TID: c.tid, Method: method, Payload: body, Sender: iv.cfg.Sender, Seq: co.seq, Deadline: deadline}

	answers := make(map[string]Result)
	attempts := 0
	settled := func() bool { // every expected device gave a final answer
		if len(expected) == 0 {
			return false
		}
		for _, d := range expected {
			if r, ok := answers[d]; !ok || r.Status == StatusServiceUnavailable {
				return false
			}
		}
		return true
	}
	for attempt := 1; ; attempt++ {
		env, err := EncodeRequest(&req, time.Now())
		if err != nil {
			if errors.Is(err, ErrDeadline) {
				break
			}
			return nil, err
		}
		if err := iv.ps.PublishRaw(wctx, topic, env, RequestQoS); err != nil {
			if attempt == 1 {
				return nil, fmt.Errorf("command: invoking %q on group %q: %w", method, group, err)
			}
			iv.cfg.Logger.Debug("command: publishing a group request again", "topic", topic, "tid", c.tid, "err", err)
		} else {
			attempts++
		}
		window := time.Until(deadline)
		if attempt < iv.cfg.Attempts && len(expected) > 0 {
			window = min(window, iv.cfg.AttemptTimeout)
		}
		if err := iv.collect(wctx, c, window, answers, settled, method, attempts); err != nil {
			return nil, err
		}
		if settled() || wctx.Err() != nil || attempt >= iv.cfg.Attempts || len(expected) == 0 {
			break
		}
	}
	res := &GroupResult{Group: group, Method: method, TID: c.tid}
	for _, r := range answers {
		res.Answers = append(res.Answers, r)
	}
	slices.SortFunc(res.Answers, func(a, b Result) int { return cmp.Compare(a.Device, b.Device) })
	for _, d := range expected {
		if _, ok := answers[d]; !ok {
			res.Missing = append(res.Missing, d)
		}
	}
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return res, fmt.Errorf("command: invoking %q on group %q (tid %s): %w", method, group, c.tid, err)
	}
	return res, nil
}

// collect adds c's answers to answers for up to d, until settled or ctx
// ends. A later answer replaces a 503.
func (iv *Invoker) collect(ctx context.Context, c *call, d time.Duration, answers map[string]Result, settled func() bool, method string, attempts int) error {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	for {
		select {
		case <-c.notify:
			for _, a := range c.take() {
				if old, ok := answers[a.device]; ok && old.Status != StatusServiceUnavailable {
					continue
				}
				answers[a.device] = Result{Device: a.device, Method: method, TID: c.tid,
					Status: a.resp.Status, Payload: a.resp.Payload, Attempts: attempts}
			}
			if settled() {
				return nil
			}
		case <-t.C:
			return nil
		case <-ctx.Done():
			return nil
		case <-iv.done:
			return ErrInvokerClosed
		}
	}
}
