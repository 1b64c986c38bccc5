package methodsvc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/command"
	"github.com/tether-iot/tether/internal/methodsvc"
)

// fakeHub records what the Service publishes and lets a test answer.
type fakeHub struct {
	mu         sync.Mutex
	subscribed map[string]bool
	published  []string                                     // topics
	answer     func(deviceID, topic string, payload []byte) // called from PublishTo
	publishErr error
}

func newService(t *testing.T, h *fakeHub) *methodsvc.Service {
	t.Helper()
	svc, err := methodsvc.New(methodsvc.Config{
		IsSubscribed: func(id string) bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.subscribed[id]
		},
		PublishTo: func(id, topic string, payload []byte) error {
			h.mu.Lock()
			h.published = append(h.published, topic)
			answer, err := h.answer, h.publishErr
			h.mu.Unlock()
			if err != nil {
				return err
			}
			if answer != nil {
				answer(id, topic, payload)
			}
			return nil
		},
		MinTimeout: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func errorCode(t *testing.T, payload []byte) int {
	t.Helper()
	var body struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(payload, &body); err != nil || body.Message == "" {
		t.Fatalf("hub error body %s: %v", payload, err)
	}
	return body.ErrorCode
}

func TestNewRequiresHooks(t *testing.T) {
	if _, err := methodsvc.New(methodsvc.Config{}); err == nil {
		t.Fatal("New without hooks succeeded")
	}
}

func TestInvokeMethodRoundTrip(t *testing.T) {
	h := &fakeHub{subscribed: map[string]bool{"dev1": true}}
	svc := newService(t, h)
	// The device answers synchronously, before PublishTo returns.
	h.answer = func(id, topic string, payload []byte) {
		method, rid, err := command.ParseAzureMethodTopic(topic)
		if err != nil {
			t.Errorf("request topic %q: %v", topic, err)
			return
		}
		res, _ := command.AzureMethodResponseTopic(201, rid)
		svc.HandleDevicePublish(id, res, []byte(`{"method":"`+method+`","got":`+string(payload)+`}`))
	}
	for i := range 3 {
		status, payload, err := svc.InvokeMethod(t.Context(), "dev1", "sensor.list", []byte(`{"n":1}`), time.Second)
		if err != nil || status != 201 || string(payload) != `{"method":"sensor.list","got":{"n":1}}` {
			t.Fatalf("call %d: %d %s %v", i, status, payload, err)
		}
	}
	seen := map[string]bool{}
	for _, topic := range h.published {
		_, rid, _ := command.ParseAzureMethodTopic(topic)
		if seen[rid] {
			t.Fatalf("$rid %q reused", rid)
		}
		seen[rid] = true
	}
	if n := svc.Pending(); n != 0 {
		t.Fatalf("%d calls still pending", n)
	}
}

func TestInvokeMethodHubAnswers(t *testing.T) {
	h := &fakeHub{subscribed: map[string]bool{"dev1": true}}
	svc := newService(t, h)
	ctx := t.Context()
	tests := []struct {
		name      string
		device    string
		method    string
		payload   string
		timeout   time.Duration
		status    int
		code      int
		published bool
	}{
		{"not online", "dev2", "m", "", time.Second, 404, methodsvc.ErrorCodeDeviceNotOnline, false},
		{"timeout", "dev1", "m", "", 20 * time.Millisecond, 504, methodsvc.ErrorCodeGatewayTimeout, true},
		{"timeout too long", "dev1", "m", "", methodsvc.MaxTimeout + time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
		{"negative timeout", "dev1", "m", "", -time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
		{"method with /", "dev1", "a/b", "", time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
		{"empty method", "dev1", "", "", time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
		{"payload not JSON", "dev1", "m", "{", time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
		{"payload too large", "dev1", "m", `"` + strings.Repeat("x", methodsvc.MaxPayload) + `"`, time.Second, 400, methodsvc.ErrorCodeBadFormat, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.mu.Lock()
			before := len(h.published)
			h.mu.Unlock()
			status, payload, err := svc.InvokeMethod(ctx, tt.device, tt.method, []byte(tt.payload), tt.timeout)
			if err != nil || status != tt.status || errorCode(t, payload) != tt.code {
				t.Fatalf("InvokeMethod = %d %s %v, want %d %d", status, payload, err, tt.status, tt.code)
			}
			h.mu.Lock()
			published := len(h.published) > before
			h.mu.Unlock()
			if published != tt.published {
				t.Fatalf("published %v, want %v", published, tt.published)
			}
		})
	}
}

func TestMinTimeoutDefaultsToTheHubs(t *testing.T) {
	svc, err := methodsvc.New(methodsvc.Config{
		IsSubscribed: func(string) bool { return true },
		PublishTo:    func(string, string, []byte) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := svc.InvokeMethod(t.Context(), "d", "m", nil, time.Second); status != 400 {
		t.Fatalf("1 s timeout: status %d, want 400 (minimum 5 s)", status)
	}
}

func TestInvokeMethodErrors(t *testing.T) {
	h := &fakeHub{subscribed: map[string]bool{"dev1": true}, publishErr: errors.New("connection gone")}
	svc := newService(t, h)
	if _, _, err := svc.InvokeMethod(t.Context(), "dev1", "m", nil, time.Second); err == nil {
		t.Fatal("PublishTo failure not reported")
	}
	h.publishErr = nil
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, _, err := svc.InvokeMethod(ctx, "dev1", "m", nil, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if n := svc.Pending(); n != 0 {
		t.Fatalf("%d calls still pending", n)
	}
}

func TestHandleDevicePublishCorrelatesByDeviceAndRID(t *testing.T) {
	h := &fakeHub{subscribed: map[string]bool{"dev1": true, "dev2": true}}
	svc := newService(t, h)
	rids := make(chan string, 1)
	h.answer = func(_, topic string, _ []byte) {
		_, rid, _ := command.ParseAzureMethodTopic(topic)
		rids <- rid
	}
	type result struct {
		status  int
		payload string
	}
	done := make(chan result, 1)
	go func() {
		s, p, _ := svc.InvokeMethod(context.Background(), "dev1", "m", nil, 5*time.Second)
		done <- result{s, string(p)}
	}()
	rid := <-rids
	if svc.HandleDevicePublish("dev1", "devices/dev1/messages/events/", nil) {
		t.Fatal("telemetry handled as a method response")
	}
	if !svc.HandleDevicePublish("dev2", fmt.Sprintf("$iothub/methods/res/500/?$rid=%s", rid), nil) {
		t.Fatal("another device's method response not consumed")
	}
	if !svc.HandleDevicePublish("dev1", "$iothub/methods/res/200/?$rid=unknown", nil) {
		t.Fatal("a response to an unknown $rid not consumed")
	}
	if !svc.HandleDevicePublish("dev1", fmt.Sprintf("$iothub/methods/res/200/?$rid=%s", rid), []byte(`{"ok":true}`)) {
		t.Fatal("response not consumed")
	}
	svc.HandleDevicePublish("dev1", fmt.Sprintf("$iothub/methods/res/500/?$rid=%s", rid), nil) // late duplicate: dropped
	if r := <-done; r.status != 200 || r.payload != `{"ok":true}` {
		t.Fatalf("InvokeMethod = %+v, want 200 {\"ok\":true}", r)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	h := &fakeHub{subscribed: map[string]bool{"dev1": true}}
	svc := newService(t, h)
	h.answer = func(id, topic string, payload []byte) {
		_, rid, _ := command.ParseAzureMethodTopic(topic)
		go svc.HandleDevicePublish(id, "$iothub/methods/res/200/?$rid="+rid, payload)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf(`{"i":%d}`, i)
			status, payload, err := svc.InvokeMethod(context.Background(), "dev1", "echo", []byte(want), 5*time.Second)
			if err != nil || status != 200 || string(payload) != want {
				t.Errorf("call %d: %d %s %v", i, status, payload, err)
			}
		}()
	}
	wg.Wait()
}
