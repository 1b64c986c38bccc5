package twin_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/twin"
)

const quiet = 100 * time.Millisecond

func TestInitialSyncSubscribesThenGets(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"interval": 30, "mode": "eco"})
	_, p := e.startSynced()
	wantPatch(t, p, 2, `{"interval":30,"mode":"eco"}`, `{"interval":30,"mode":"eco"}`, true)

	subs := e.ft.subscriptions()
	want := []string{"$iothub/twin/PATCH/properties/desired/#", "$iothub/twin/res/#"}
	if strings.Join(subs, " ") != strings.Join(want, " ") {
		t.Fatalf("subscriptions = %q, want exactly %q in that order", subs, want)
	}
	if n := len(e.ft.requests(getPrefix)); n != 1 {
		t.Fatalf("%d GETs, want 1", n)
	}
	e.rec.none(t, quiet)
}

func TestInitialSyncOfAnEmptyTwinIsDelivered(t *testing.T) {
	e := newEnv(t)
	_, p := e.startSynced()
	wantPatch(t, p, 1, `{}`, `{}`, true)
}

// The documented order: a patch that arrives between subscribing and the
// GET's answer is kept and decided on after the GET is applied.
func TestPatchBeforeGetResponse(t *testing.T) {
	t.Run("newer than the GET: applied after it", func(t *testing.T) {
		e := newEnv(t)
		var once sync.Once
		e.ft.set(func(f *fakeTransport) {
			f.afterRequest = func(topic string) {
				if strings.HasPrefix(topic, getPrefix) {
					// The GET is answered at version 1; version 2 is
					// delivered before that answer.
					once.Do(func() { e.ft.updateDesired(t, map[string]any{"a": 1}) })
				}
			}
		})
		e.start()
		wantPatch(t, e.rec.next(t), 1, `{}`, `{}`, true)
		wantPatch(t, e.rec.next(t), 2, `{"a":1}`, `{"a":1}`, false)
		e.rec.none(t, quiet)
	})
	t.Run("contained in the GET: not applied twice", func(t *testing.T) {
		e := newEnv(t)
		var once sync.Once
		e.ft.set(func(f *fakeTransport) {
			f.beforeRequest = func(topic string) {
				if strings.HasPrefix(topic, getPrefix) {
					// Version 2 is in the GET's answer and its patch is
					// delivered before that answer.
					once.Do(func() { e.ft.updateDesired(t, map[string]any{"a": 1}) })
				}
			}
		})
		e.start()
		wantPatch(t, e.rec.next(t), 2, `{"a":1}`, `{"a":1}`, true)
		e.rec.none(t, quiet)
	})
}

func TestLivePatchesInOrder(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"a": 1, "net": map[string]any{"apn": "x", "pin": 1}})
	e.startSynced()
	e.ft.updateDesired(t, map[string]any{"b": true})
	e.ft.updateDesired(t, map[string]any{"a": nil, "net": map[string]any{"pin": nil}})
	wantPatch(t, e.rec.next(t), 3, `{"b":true}`, `{"a":1,"b":true,"net":{"apn":"x","pin":1}}`, false)
	wantPatch(t, e.rec.next(t), 4, `{"a":null,"net":{"pin":null}}`, `{"b":true,"net":{"apn":"x"}}`, false)
	if n := len(e.ft.requests(getPrefix)); n != 1 {
		t.Fatalf("%d GETs, want 1 (no gap)", n)
	}
}

func TestStaleAndDuplicatePatchesIgnored(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"a": 1}) // v2
	e.ft.updateDesired(t, map[string]any{"a": 2}) // v3
	e.startSynced()
	// A stale notification (version 3 is already applied) changes nothing.
	e.ft.deliverRaw("$iothub/twin/PATCH/properties/desired/?$version=3", []byte(`{"a":99,"$version":3}`))
	e.ft.deliverRaw("$iothub/twin/PATCH/properties/desired/?$version=2", []byte(`{"a":98,"$version":2}`))
	e.rec.none(t, quiet)
	// Duplicated deliveries are applied once.
	e.ft.set(func(f *fakeTransport) { f.duplicate = true })
	e.ft.updateDesired(t, map[string]any{"a": 3})
	wantPatch(t, e.rec.next(t), 4, `{"a":3}`, `{"a":3}`, false)
	e.rec.none(t, quiet)
}

func TestVersionGapTriggersGet(t *testing.T) {
	e := newEnv(t)
	e.startSynced()
	e.ft.set(func(f *fakeTransport) { f.drop = func(topic string) bool { return strings.Contains(topic, "desired") } })
	e.ft.updateDesired(t, map[string]any{"a": 1}) // v2, lost
	e.ft.set(func(f *fakeTransport) { f.drop = nil })
	e.ft.updateDesired(t, map[string]any{"b": 2}) // v3: a gap
	wantPatch(t, e.rec.next(t), 3, `{"a":1,"b":2}`, `{"a":1,"b":2}`, true)
	if n := len(e.ft.requests(getPrefix)); n != 2 {
		t.Fatalf("%d GETs, want 2", n)
	}
	e.rec.none(t, quiet)
}

func TestReorderedPatches(t *testing.T) {
	e := newEnv(t)
	e.startSynced()
	e.ft.set(func(f *fakeTransport) { f.holdDesired = true })
	e.ft.updateDesired(t, map[string]any{"a": 1})             // v2
	e.ft.updateDesired(t, map[string]any{"a": 2, "b": "x"})   // v3
	e.ft.updateDesired(t, map[string]any{"b": nil, "c": 3.5}) // v4
	e.ft.set(func(f *fakeTransport) { f.holdDesired = false })
	e.ft.release(2, 0, 1)
	// Whatever the interleaving with the GET the gap triggers, versions
	// only grow, nothing is delivered twice, and the end state is right.
	last := int64(1)
	var final twin.DesiredPatch
	for last < 4 {
		p := e.rec.next(t)
		if p.Version <= last {
			t.Fatalf("version %d delivered after %d", p.Version, last)
		}
		last, final = p.Version, p
	}
	if js(final.Desired) != `{"a":2,"c":3.5}` {
		t.Fatalf("final desired = %s", js(final.Desired))
	}
	e.rec.none(t, quiet)
}

func TestOfflineChangesDeliveredAfterReconnect(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"keep": 1, "gone": 2, "obj": map[string]any{"x": 1, "y": 2}})
	e.startSynced()
	e.ft.disconnect()
	e.ft.updateDesired(t, map[string]any{"gone": nil, "new": "v"})       // v3, not delivered
	e.ft.updateDesired(t, map[string]any{"obj": map[string]any{"y": 3}}) // v4, not delivered
	e.rec.none(t, quiet)
	e.ft.reconnect()
	wantPatch(t, e.rec.next(t), 4, `{"gone":null,"new":"v","obj":{"y":3}}`, `{"keep":1,"new":"v","obj":{"x":1,"y":3}}`, true)
	e.rec.none(t, quiet)
}

func TestReconnectWithoutChangesDeliversNothing(t *testing.T) {
	e := newEnv(t)
	e.startSynced()
	e.ft.disconnect()
	e.ft.reconnect()
	eventually(t, "a GET after the reconnect", func() bool { return len(e.ft.requests(getPrefix)) == 2 })
	e.rec.none(t, quiet)
}

func TestMalformedPatchTriggersGet(t *testing.T) {
	e := newEnv(t)
	e.startSynced()
	// The hub changed something whose notification arrives garbled.
	if _, _, err := e.svc.UpdateDesired(device, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	e.ft.deliverRaw("$iothub/twin/PATCH/properties/desired/?$version=2", []byte(`{"a":`))
	wantPatch(t, e.rec.next(t), 2, `{"a":1}`, `{"a":1}`, true)
}

func TestHandlerSetLaterGetsTheCurrentState(t *testing.T) {
	e := newEnv(t)
	e.ft.updateDesired(t, map[string]any{"a": 1})
	c := e.start(twin.WithDesiredHandler(nil))
	if _, err := c.Get(t.Context()); err != nil { // the state is known after this
		t.Fatal(err)
	}
	rec := newRecorder()
	c.OnDesiredPatch(rec.handle)
	wantPatch(t, rec.next(t), 2, `{"a":1}`, `{"a":1}`, true)
	e.ft.updateDesired(t, map[string]any{"b": 2})
	wantPatch(t, rec.next(t), 3, `{"b":2}`, `{"a":1,"b":2}`, false)

	c.OnDesiredPatch(nil)
	e.ft.updateDesired(t, map[string]any{"c": 3})
	rec.none(t, quiet)
	e.rec.none(t, 0)
}

func TestHandlerRunsOneAtATime(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	running, maxRunning, calls := 0, 0, 0
	c := e.start(twin.WithDesiredHandler(func(ctx context.Context, p twin.DesiredPatch) {
		mu.Lock()
		running++
		calls++
		maxRunning = max(maxRunning, running)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
	}))
	_ = c
	eventually(t, "the initial delivery", func() bool { mu.Lock(); defer mu.Unlock(); return calls == 1 })
	for i := 0; i < 10; i++ {
		e.ft.updateDesired(t, map[string]any{"i": i})
	}
	eventually(t, "11 deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return calls == 11 })
	if maxRunning != 1 {
		t.Fatalf("%d handler calls ran at once", maxRunning)
	}
}
