package twin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/twindoc"
	"github.com/tether-iot/tether/twin"
)

func TestGet(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"interval": 30})
	e.svc.HandlePublish(device, "$iothub/twin/PATCH/properties/reported/?$rid=x", []byte(`{"fw":"1.0","big":4503599627370495}`))
	c, _ := e.startSynced()
	tw, err := c.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tw.Desired.Version != 2 || js(tw.Desired.Values) != `{"interval":30}` ||
		tw.Reported.Version != 2 || js(tw.Reported.Values) != `{"big":4503599627370495,"fw":"1.0"}` {
		t.Fatalf("twin = %+v", tw)
	}
	// The result is the caller's.
	tw.Desired.Values["interval"] = 1
	tw2, _ := c.Get(t.Context())
	if js(tw2.Desired.Values) != `{"interval":30}` {
		t.Fatalf("Get result shared with the client: %s", js(tw2.Desired.Values))
	}
}

// Get brings newer desired properties to the handler too.
func TestGetDeliversNewerDesired(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	if _, _, err := e.svc.UpdateDesired(device, map[string]any{"a": 1}); err != nil { // notification not delivered
		t.Fatal(err)
	}
	if _, err := c.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantPatch(t, e.rec.next(t), 2, `{"a":1}`, `{"a":1}`, true)
}

func TestUpdateReported(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	for i, want := range []int64{2, 3} {
		v, err := c.UpdateReported(t.Context(), map[string]any{"n": i, "html": "<a&b>"})
		if err != nil || v != want {
			t.Fatalf("UpdateReported = %d, %v; want %d", v, err, want)
		}
	}
	tw, _ := e.svc.Twin(device)
	if js(tw.Reported.Values) != `{"html":"\u003ca\u0026b\u003e","n":1}` {
		t.Fatalf("reported = %s", js(tw.Reported.Values))
	}
	// Sent without HTML escaping, as written.
	msgs := e.ft.publishedPayloads(patchPrefix)
	if len(msgs) != 2 || msgs[0] != `{"html":"<a&b>","n":0}` {
		t.Fatalf("payloads = %q", msgs)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		failures int
		wantErr  error // nil: success expected
		wantSent int
	}{
		{"429 then success", 429, 2, nil, 3},
		{"500 then success", 500, 1, nil, 2},
		{"503 then success", 503, 3, nil, 4},
		{"lost response then success", 0, 1, nil, 2},
		{"400 not retried", 400, 1, twin.ErrBadRequest, 1},
		{"404 not retried", 404, 1, nil, 1},
	}
	for _, tt := range tests {
		for _, kind := range []twindoc.RequestKind{twindoc.RequestGet, twindoc.RequestPatchReported} {
			t.Run(fmt.Sprintf("%s/%v", tt.name, kind), func(t *testing.T) {
				e := newEnv(t)
				c, _ := e.startSynced(twin.WithRequestTimeout(50 * time.Millisecond))
				e.svc.FailNextOf(device, kind, tt.status, tt.failures)
				var err error
				prefix := getPrefix
				if kind == twindoc.RequestGet {
					_, err = c.Get(t.Context())
				} else {
					prefix = patchPrefix
					_, err = c.UpdateReported(t.Context(), map[string]any{"a": 1})
				}
				sent := len(e.ft.requests(prefix))
				if kind == twindoc.RequestGet {
					sent-- // the initial sync's
				}
				if sent != tt.wantSent {
					t.Errorf("sent %d requests, want %d", sent, tt.wantSent)
				}
				permanent := tt.status >= 400 && tt.status < 500 && tt.status != 429
				if !permanent {
					if err != nil {
						t.Fatalf("err = %v, want success", err)
					}
					return
				}
				var te *twin.Error
				if !errors.As(err, &te) || te.Status != tt.status || te.Retryable() || te.Op != kind.String() {
					t.Fatalf("err = %v, want *twin.Error with status %d", err, tt.status)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want errors.Is %v", err, tt.wantErr)
				}
				if errors.Is(err, twin.ErrThrottled) {
					t.Fatalf("err %v matches ErrThrottled", err)
				}
			})
		}
	}
}

func TestServerErrorsRetriedUntilCtx(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	e.svc.FailNextOf(device, twindoc.RequestPatchReported, 503, 1_000_000)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.UpdateReported(ctx, map[string]any{"a": 1})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	var te *twin.Error
	if !errors.As(err, &te) || te.Status != 503 || !te.Retryable() {
		t.Fatalf("err = %v, want the last *twin.Error (503) too", err)
	}
	if n := len(e.ft.requests(patchPrefix)); n < 3 {
		t.Fatalf("%d attempts, want several", n)
	}
}

func TestThrottledUntilCtx(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	e.svc.FailNextOf(device, twindoc.RequestGet, 429, 1_000_000)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx)
	if !errors.Is(err, twin.ErrThrottled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrThrottled and DeadlineExceeded", err)
	}
}

func TestCtxCancellation(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	e.svc.FailNext(device, 0, 1_000_000) // no answers at all
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := c.UpdateReported(ctx, map[string]any{"a": 1})
		errc <- err
	}()
	eventually(t, "the request", func() bool { return len(e.ft.requests(patchPrefix)) == 1 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
	case <-time.After(waitFor):
		t.Fatal("UpdateReported did not return after cancel")
	}
	// An already cancelled ctx sends nothing.
	if _, err := c.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled ctx: %v", err)
	}
}

// A request whose connection drops is sent again once it is back.
func TestConnectionLostDuringRequest(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	var once sync.Once
	var wg sync.WaitGroup
	defer wg.Wait()
	e.ft.set(func(f *fakeTransport) {
		f.afterRequest = func(topic string) {
			if strings.HasPrefix(topic, patchPrefix) {
				once.Do(func() {
					// The hub applied the patch; the connection drops
					// before its answer is delivered.
					e.ft.disconnect()
					wg.Add(1)
					go func() {
						defer wg.Done()
						time.Sleep(20 * time.Millisecond)
						e.ft.reconnect()
					}()
				})
			}
		}
	})
	v, err := c.UpdateReported(t.Context(), map[string]any{"a": 1})
	if err != nil {
		t.Fatalf("UpdateReported: %v", err)
	}
	// The first attempt was applied but its answer lost: the retry is the
	// second merge of the same patch.
	if v != 3 || len(e.ft.requests(patchPrefix)) != 2 {
		t.Fatalf("version %d after %d attempts, want 3 after 2", v, len(e.ft.requests(patchPrefix)))
	}
}

// Requests made while disconnected wait for the connection, within ctx.
func TestRequestWhileDisconnected(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced(twin.WithRetryBackoff(time.Hour, time.Hour)) // only a reconnect ends the wait
	e.ft.disconnect()
	errc := make(chan error, 1)
	go func() {
		_, err := c.UpdateReported(t.Context(), map[string]any{"a": 1})
		errc <- err
	}()
	select {
	case err := <-errc:
		t.Fatalf("UpdateReported returned while disconnected: %v", err)
	case <-time.After(quiet):
	}
	e.ft.reconnect()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("UpdateReported did not complete after the reconnect")
	}

	e.ft.disconnect()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get while disconnected: %v, want DeadlineExceeded", err)
	}
}

func TestConcurrentUpdatesCorrelated(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	e.ft.set(func(f *fakeTransport) { f.duplicate = true })
	const n = 20
	versions := make(chan int64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.UpdateReported(t.Context(), map[string]any{fmt.Sprint("k", i): i})
			if err != nil {
				t.Error(err)
			}
			versions <- v
		}()
	}
	wg.Wait()
	close(versions)
	seen := map[int64]bool{}
	for v := range versions {
		if v < 2 || v > n+1 || seen[v] {
			t.Fatalf("version %d out of range or returned twice", v)
		}
		seen[v] = true
	}
	rids := map[string]bool{}
	for _, topic := range e.ft.requests("$iothub/twin/") {
		if rids[topic] {
			t.Fatalf("$rid reused: %s", topic)
		}
		rids[topic] = true
	}
	tw, _ := e.svc.Twin(device)
	if len(tw.Reported.Values) != n {
		t.Fatalf("reported has %d keys, want %d", len(tw.Reported.Values), n)
	}
}

func TestResponsesForOthersIgnored(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	e.ft.deliverRaw("$iothub/twin/res/200/?$rid=nobody", []byte(`{}`))
	e.ft.deliverRaw("$iothub/twin/res/xyz", nil)
	if _, err := c.UpdateReported(t.Context(), map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedGetResponse(t *testing.T) {
	e := newEnv(t)
	c, _ := e.startSynced()
	var once sync.Once
	e.ft.set(func(f *fakeTransport) {
		f.afterRequest = func(topic string) {
			if strings.HasPrefix(topic, getPrefix) {
				once.Do(func() {
					rid := topic[strings.Index(topic, "$rid=")+5:]
					e.ft.deliverRaw("$iothub/twin/res/200/?$rid="+rid, []byte(`{"desired":{}}`))
				})
			}
		}
	})
	if _, err := c.Get(t.Context()); !errors.Is(err, twin.ErrMalformedResponse) {
		t.Fatalf("err = %v, want ErrMalformedResponse", err)
	}
}
