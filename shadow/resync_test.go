package shadow_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/shadow"
)

// TestStartDeliversCurrentDelta checks that a client started on a shadow
// with a pending desired change delivers it.
func TestStartDeliversCurrentDelta(t *testing.T) {
	h := newHarness(t)
	h.setDesired(map[string]any{"fan": 3})
	h.start()
	d := h.nextDelta()
	if d.Version != 1 || num(d.State["fan"]) != "3" || num(d.Desired["fan"]) != "3" {
		t.Errorf("delta = %+v", d)
	}
}

// TestDesiredChangedWhileOffline checks that a desired change made while
// the device was offline (its delta lost) is delivered after the reconnect,
// and that a reconnect without a change delivers nothing.
func TestDesiredChangedWhileOffline(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	if _, err := c.UpdateReported(ctx, map[string]any{"fan": 1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 1 applied", func() bool { return docVersion(c) == 1 })

	h.ft.disconnect()
	h.setDesired(map[string]any{"fan": 3}) // published to nobody
	h.ft.reconnect()
	d := h.nextDelta()
	if d.Version != 2 || num(d.State["fan"]) != "3" || len(d.State) != 1 {
		t.Errorf("delta after reconnect = %+v", d)
	}
	eventually(t, "version 2 applied", func() bool { return docVersion(c) == 2 })

	gets := h.ft.published("/get")
	h.ft.disconnect()
	h.ft.reconnect()
	eventually(t, "a GET after the second reconnect", func() bool { return h.ft.published("/get") > gets })
	// The GET's answer (same version) must not redeliver: the next delta
	// is the next change.
	h.setDesired(map[string]any{"fan": 4})
	if d := h.nextDelta(); d.Version != 3 || num(d.State["fan"]) != "4" {
		t.Errorf("next delta = %+v, want version 3", d)
	}
}

// TestConcurrentUpdates checks two updates in flight at once.
func TestConcurrentUpdates(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	var wg sync.WaitGroup
	versions := make([]int64, 2)
	errs := make([]error, 2)
	for i, key := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := c.UpdateReported(ctx, map[string]any{key: i})
			errs[i] = err
			if err == nil {
				versions[i] = acc.Version
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if versions[0]+versions[1] != 3 {
		t.Errorf("versions %v, want 1 and 2", versions)
	}
	eventually(t, "both updates applied locally", func() bool {
		d, ok := c.Document()
		return ok && d.Version == 2 && d.Reported["a"] != nil && d.Reported["b"] != nil
	})
}

// TestOutOfOrderAndDuplicateResponses delivers the responses of two updates
// in reverse order, twice: each caller gets its own answer once, and the
// client ends at the newer document, resyncing over the gap the reversed
// order opens.
func TestOutOfOrderAndDuplicateResponses(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	ctx := h.ctx()
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond) // let the initial 404 arrive

	h.ft.setCapture(true)
	type result struct {
		acc *shadow.Accepted
		err error
	}
	results := make([]chan result, 2)
	for i, v := range []int{1, 2} {
		results[i] = make(chan result, 1)
		go func() {
			acc, err := c.UpdateReported(ctx, map[string]any{"n": v, "k" + string(rune('0'+v)): true})
			results[i] <- result{acc, err}
		}()
		eventually(t, "update captured", func() bool { return h.ft.published("/update") == i+1 })
	}
	replies := h.ft.takeCaptured()
	h.ft.setCapture(false)
	var first, second []shadowsvc.Publish
	for _, p := range replies {
		if strings.Contains(string(p.Payload), `"version":1`) {
			first = append(first, p)
		} else {
			second = append(second, p)
		}
	}
	h.ft.release(second...)
	h.ft.release(second...)
	h.ft.release(first...)
	h.ft.release(first...)
	for i, want := range []int64{1, 2} {
		r := <-results[i]
		if r.err != nil || r.acc.Version != want {
			t.Errorf("update %d: %+v, %v; want version %d", i, r.acc, r.err, want)
		}
	}
	eventually(t, "the newer document applied", func() bool {
		d, ok := c.Document()
		return ok && d.Version == 2 && num(d.Reported["n"]) == "2" && d.Reported["k1"] == true && d.Reported["k2"] == true
	})
	// The GET over the gap goes out on the client's own goroutine: the
	// document may show version 2 (from the accepted update) before it does.
	eventually(t, "a GET over the gap (besides the start's)", func() bool { return h.ft.published("/get") >= 2 })
	// Still at version 2 after the stale duplicates.
	time.Sleep(20 * time.Millisecond)
	if v := docVersion(c); v != 2 {
		t.Errorf("version %d after stale responses", v)
	}
}

// TestDuplicateDelta checks that a delta delivered twice is handled once.
func TestDuplicateDelta(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond)
	h.ft.setFilter(func(p shadowsvc.Publish) []shadowsvc.Publish { return []shadowsvc.Publish{p, p} })
	h.setDesired(map[string]any{"fan": 1})
	if d := h.nextDelta(); d.Version != 1 {
		t.Errorf("delta version %d", d.Version)
	}
	h.noDelta(50 * time.Millisecond)
	if v := docVersion(c); v != 1 {
		t.Errorf("version %d", v)
	}
}

// TestVersionGapTriggersGet checks that a missed update (its messages
// dropped) is noticed at the next one, and recovered by a GET.
func TestVersionGapTriggersGet(t *testing.T) {
	h := newHarness(t)
	c := h.start()
	// The initial GET must be over first: under load it can otherwise hit
	// the service between the two updates below and rightly surface
	// version 2.
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond)
	h.setDesired(map[string]any{"a": 1})
	if d := h.nextDelta(); d.Version != 1 {
		t.Fatalf("delta version %d", d.Version)
	}
	eventually(t, "version 1", func() bool { return docVersion(c) == 1 })
	gets := h.ft.published("/get")

	// Version 2 is lost; of version 3 only the delta arrives: it skips 2.
	if _, err := h.svc.SetDesired(thing, "", map[string]any{"b": 2}); err != nil {
		t.Fatal(err)
	}
	pubs, err := h.svc.SetDesired(thing, "", map[string]any{"c": 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pubs {
		if strings.HasSuffix(p.Topic, "/update/delta") {
			h.ft.release(p)
		}
	}

	d := h.nextDelta()
	if d.Version != 3 || len(d.State) != 3 || num(d.State["b"]) != "2" || num(d.State["c"]) != "3" {
		t.Errorf("delta after the gap = %+v, want the full delta at version 3", d)
	}
	if n := h.ft.published("/get"); n != gets+1 {
		t.Errorf("%d GETs after the gap, want 1", n-gets)
	}
	eventually(t, "version 3", func() bool { return docVersion(c) == 3 })
	h.noDelta(30 * time.Millisecond)
}

// TestOnDeltaSetLater checks that setting a handler after New delivers the
// current delta.
func TestOnDeltaSetLater(t *testing.T) {
	h := newHarness(t)
	h.setDesired(map[string]any{"fan": 2})
	c, err := shadow.New(h.ctx(), h.ft)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	eventually(t, "document", func() bool { return docVersion(c) == 1 })
	c.OnDelta(h.recordDelta)
	if d := h.nextDelta(); d.Version != 1 || num(d.State["fan"]) != "2" {
		t.Errorf("delta = %+v", d)
	}
	c.OnDelta(nil)
	h.setDesired(map[string]any{"fan": 3})
	h.noDelta(30 * time.Millisecond)
}

// TestSlowHandlerOverflow checks that deltas dropped by a full handler
// queue are replaced by the current delta once the handler catches up.
func TestSlowHandlerOverflow(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	got := make(chan shadow.Delta, 100)
	c, err := shadow.New(h.ctx(), h.ft, shadow.WithHandlerQueue(1), shadow.WithDeltaHandler(func(_ context.Context, d shadow.Delta) {
		entered <- struct{}{}
		<-release
		got <- d
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	eventually(t, "initial GET", func() bool { return h.ft.published("/get") == 1 })
	time.Sleep(20 * time.Millisecond)
	for i := 1; i <= 4; i++ { // 1 runs, 2 waits, 3 and 4 are dropped
		h.setDesired(map[string]any{"n": i})
		eventually(t, "update and delta processed", func() bool {
			return docVersion(c) == int64(i) && h.ft.handledCount(classic+"/update/delta") == i
		})
		if i == 1 {
			<-entered // the handler holds delta 1: the queue is empty
		}
	}
	close(release)
	var versions []int64
	for len(versions) < 3 {
		select {
		case d := <-got:
			versions = append(versions, d.Version)
			if d.Version == 4 && num(d.State["n"]) != "4" {
				t.Errorf("redelivered delta = %+v", d)
			}
		case <-time.After(waitFor):
			t.Fatalf("deltas %v, want 1, 2 and the redelivered 4", versions)
		}
	}
	if versions[0] != 1 || versions[1] != 2 || versions[2] != 4 {
		t.Errorf("deltas %v, want [1 2 4]", versions)
	}
}
