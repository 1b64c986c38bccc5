package rawpaho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CommandQoS is the QoS of requests and responses, as in tether's command
// package.
const CommandQoS byte = 1

// request and response are the JSON envelopes of tether's command package
// (see its documentation), so that both sides of the comparison encode and
// decode the same bytes.
type request struct {
	TID       string          `json:"tid"`
	Sender    string          `json:"sender,omitempty"`
	TimeoutMs int64           `json:"timeoutMs,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

type response struct {
	TID     string          `json:"tid"`
	Status  int             `json:"status"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Handler answers one command: a status and a JSON payload.
type Handler func(method string, payload json.RawMessage) (status int, resp json.RawMessage)

// Serve makes c answer the commands sent to device on
// "{device}/request/{method path}" with h, on "{device}/response/{method
// path}", the topics of tether's canonical command scheme. Answers are
// published from paho's callback without waiting for their PUBACK (paho's
// ordered callbacks must not block).
func Serve(ctx context.Context, c *Client, device string, h Handler) error {
	prefix := device + "/request/"
	return c.Subscribe(ctx, prefix+"#", CommandQoS, func(topic string, payload []byte) {
		path, ok := strings.CutPrefix(topic, prefix)
		if !ok {
			return
		}
		var req request
		if err := json.Unmarshal(payload, &req); err != nil || req.TID == "" {
			return
		}
		status, body := h(strings.ReplaceAll(path, "/", "."), req.Payload)
		out, err := json.Marshal(&response{TID: req.TID, Status: status, Payload: body})
		if err != nil {
			return
		}
		c.c.Publish(device+"/response/"+path, CommandQoS, false, out)
	})
}

// Requester sends commands to devices and correlates their answers by
// transaction id: the application side of Serve.
type Requester struct {
	c      *Client
	sender string
	next   atomic.Uint64

	mu    sync.Mutex
	calls map[string]chan response
}

// NewRequester subscribes c to every device's responses ("+/response/#")
// and returns a Requester sending as sender.
func NewRequester(ctx context.Context, c *Client, sender string) (*Requester, error) {
	r := &Requester{c: c, sender: sender, calls: make(map[string]chan response)}
	err := c.Subscribe(ctx, "+/response/#", CommandQoS, func(_ string, payload []byte) {
		var resp response
		if err := json.Unmarshal(payload, &resp); err != nil {
			return
		}
		r.mu.Lock()
		ch := r.calls[resp.TID]
		r.mu.Unlock()
		if ch != nil {
			select {
			case ch <- resp:
			default: // a duplicate answer
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Call sends method with payload to device and waits for the answer or ctx.
func (r *Requester) Call(ctx context.Context, device, method string, payload json.RawMessage) (status int, resp json.RawMessage, err error) {
	tid := r.sender + "-" + strconv.FormatUint(r.next.Add(1), 10)
	ch := make(chan response, 1)
	r.mu.Lock()
	r.calls[tid] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.calls, tid)
		r.mu.Unlock()
	}()

	var timeoutMs int64
	if deadline, ok := ctx.Deadline(); ok {
		timeoutMs = max(1, time.Until(deadline).Milliseconds())
	}
	env, err := json.Marshal(&request{TID: tid, Sender: r.sender, TimeoutMs: timeoutMs, Payload: payload})
	if err != nil {
		return 0, nil, err
	}
	topic := device + "/request/" + strings.ReplaceAll(method, ".", "/")
	if err := r.c.Publish(ctx, topic, env, CommandQoS); err != nil {
		return 0, nil, fmt.Errorf("rawpaho: publishing the request: %w", err)
	}
	select {
	case a := <-ch:
		return a.Status, a.Payload, nil
	case <-ctx.Done():
		return 0, nil, errors.Join(errors.New("rawpaho: no answer"), ctx.Err())
	}
}
