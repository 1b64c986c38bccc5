package methodsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Direct-method limits of IoT Hub, and its defaults.
const (
	// DefaultTimeout is the response timeout of a call that gives none.
	DefaultTimeout = 30 * time.Second
	// MinTimeout and MaxTimeout bound the response timeout the hub accepts.
	MinTimeout = 5 * time.Second
	MaxTimeout = 300 * time.Second
	// MaxPayload is the largest request payload, in bytes.
	MaxPayload = 128 << 10
	// RequestFilter is the subscription a device needs to receive methods.
	RequestFilter = "$iothub/methods/POST/#"
)

// IoT Hub error codes in the JSON body of the hub's own failure answers.
const (
	ErrorCodeBadFormat       = 400004 // the request is not valid
	ErrorCodeDeviceNotOnline = 404103 // not connected, or not subscribed to methods
	ErrorCodeGatewayTimeout  = 504101 // the device did not answer in time
)

// Status codes the hub itself answers with.
const (
	StatusBadRequest     = 400
	StatusNotFound       = 404
	StatusGatewayTimeout = 504
)

// Config holds a Service's hooks into the emulator.
type Config struct {
	// IsSubscribed reports whether the device is connected now and
	// subscribed to RequestFilter. Required.
	IsSubscribed func(deviceID string) bool
	// PublishTo delivers a message to the device's connection, at QoS 0.
	// Required. The device's answer may reach HandleDevicePublish before
	// PublishTo returns.
	PublishTo func(deviceID, topic string, payload []byte) error
	// MinTimeout is the shortest timeout InvokeMethod accepts (default
	// MinTimeout, the hub's); emulators may lower it for fast tests.
	MinTimeout time.Duration
}

// Service invokes direct methods on devices and correlates their answers.
// It is safe for concurrent use and starts no goroutine.
type Service struct {
	cfg Config

	mu      sync.Mutex
	nextRID uint64
	pending map[pendingKey]chan reply
}

type pendingKey struct{ device, rid string }

type reply struct {
	status  int
	payload []byte
}

// New returns a Service using cfg's hooks.
func New(cfg Config) (*Service, error) {
	if cfg.IsSubscribed == nil || cfg.PublishTo == nil {
		return nil, errors.New("methodsvc: Config.IsSubscribed and Config.PublishTo are required")
	}
	if cfg.MinTimeout <= 0 {
		cfg.MinTimeout = MinTimeout
	}
	return &Service{cfg: cfg, pending: make(map[pendingKey]chan reply)}, nil
}

// InvokeMethod calls method on deviceID with payload (JSON, or empty for
// none) and waits up to timeout (0: DefaultTimeout) for the answer. It
// returns what the hub would: the device's status and payload; or, from the
// hub itself, 400 for an invalid call (timeout outside MinTimeout to
// MaxTimeout, a method name a topic cannot carry, a payload that is not JSON
// or exceeds MaxPayload), 404 when the device is not online, 504 when it
// does not answer in time, each with a JSON body
// {"errorCode":...,"message":"..."}. err is non-nil only when ctx ends or
// PublishTo fails.
func (s *Service) InvokeMethod(ctx context.Context, deviceID, method string, payload []byte, timeout time.Duration) (status int, resp []byte, err error) {
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	switch {
	case timeout < s.cfg.MinTimeout || timeout > MaxTimeout:
		return hubError(StatusBadRequest, ErrorCodeBadFormat, fmt.Sprintf("response timeout %v outside %v to %v", timeout, s.cfg.MinTimeout, MaxTimeout))
	case !validLevel(method):
		return hubError(StatusBadRequest, ErrorCodeBadFormat, "invalid method name")
	case len(payload) > MaxPayload:
		return hubError(StatusBadRequest, ErrorCodeBadFormat, fmt.Sprintf("payload of %d bytes exceeds %d", len(payload), MaxPayload))
	case len(payload) > 0 && !json.Valid(payload):
		return hubError(StatusBadRequest, ErrorCodeBadFormat, "payload is not JSON")
	}
	if !s.cfg.IsSubscribed(deviceID) {
		return hubError(StatusNotFound, ErrorCodeDeviceNotOnline, "device is not online")
	}
	key, ch := s.register(deviceID)
	defer s.unregister(key)
	if err := s.cfg.PublishTo(deviceID, RequestTopic(method, key.rid), payload); err != nil {
		return 0, nil, fmt.Errorf("methodsvc: publishing method %q to %q: %w", method, deviceID, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.status, r.payload, nil
	case <-t.C:
		return hubError(StatusGatewayTimeout, ErrorCodeGatewayTimeout, "timed out waiting for the response from the device")
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// HandleDevicePublish gives the Service a message deviceID published. It
// reports whether the message was a direct-method response (the emulator
// then consumes it); a response nobody waits for any more is dropped, as
// the hub drops it. It never blocks.
func (s *Service) HandleDevicePublish(deviceID, topic string, payload []byte) (handled bool) {
	status, rid, ok := ParseResponseTopic(topic)
	if !ok {
		return false
	}
	s.mu.Lock()
	ch := s.pending[pendingKey{deviceID, rid}]
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- reply{status: status, payload: append([]byte(nil), payload...)}:
		default: // answered already
		}
	}
	return true
}

// Pending returns the number of calls waiting for an answer.
func (s *Service) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Service) register(deviceID string) (pendingKey, chan reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextRID++
	key := pendingKey{device: deviceID, rid: strconv.FormatUint(s.nextRID, 10)}
	ch := make(chan reply, 1)
	s.pending[key] = ch
	return key, ch
}

func (s *Service) unregister(key pendingKey) {
	s.mu.Lock()
	delete(s.pending, key)
	s.mu.Unlock()
}

// hubError is an answer of the hub itself.
func hubError(status, code int, msg string) (int, []byte, error) {
	b, _ := json.Marshal(struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	}{code, msg}) // always encodes
	return status, b, nil
}
