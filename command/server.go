package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Server applies the command semantics that do not depend on a transport:
// deduplication by transaction id, sequence ordering, a concurrency limit,
// deadlines and panic recovery. Transports decode a [Request], call
// [Server.Serve] and send the [Response] back.
//
// A Server is safe for concurrent use; Serve is meant to be called from a
// worker goroutine, never from the network goroutine.
type Server struct {
	handler    Handler
	log        *slog.Logger
	now        func() time.Time
	timeout    time.Duration
	maxRunning int
	state      StateFunc
	cache      *dedupCache
	pool       *workerPool // goroutines of the handlers, and of the Device's waits

	// Admission: shutdown, ordering and the concurrency limit, decided together.
	mu      sync.Mutex
	closed  bool
	running int
	order   *sequencer // nil without WithOrdering
	wg      sync.WaitGroup

	// Persistence: appends and compactions are serialized, so a compaction
	// snapshot holds every record appended before it.
	store     DedupStore
	persistMu sync.Mutex
	stored    int // records in the store since the last compaction
}

// NewServer returns a Server that runs h. With [WithDedupStore] it loads the
// store first: the records still within the cache's size and TTL answer
// duplicates, and with [WithOrdering] the highest stored Seq of each sender
// becomes its last applied one.
func NewServer(h Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("command: nil handler")
	}
	c := newConfig(opts)
	s := &Server{
		handler:    h,
		log:        c.log,
		now:        c.now,
		timeout:    c.timeout,
		maxRunning: c.maxConcurrent,
		state:      c.state,
		cache:      newDedupCache(c.dedupSize, c.dedupTTL),
		pool:       newWorkerPool(),
		store:      c.store,
	}
	if c.ordering {
		s.order = newSequencer(c.maxSenders)
	}
	if s.store != nil {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) load() error {
	recs, err := s.store.Load()
	if err != nil {
		return fmt.Errorf("command: loading dedup store: %w", err)
	}
	now := s.now()
	for i := range recs {
		r := &recs[i]
		if s.order != nil && r.Seq != 0 {
			s.order.advance(r.Sender, r.Seq, now)
		}
		s.cache.restore(entryOf(r), now)
	}
	s.stored = len(recs)
	if s.cache.len() < len(recs) {
		s.compact(now)
	}
	return nil
}

// Serve runs req through, in order:
//
//  1. validation: no method or TID → 400;
//  2. deduplication: a TID already completed by the same sender is answered
//     with the cached response; one still running is waited for, until the
//     duplicate's own deadline (504) — the handler never runs twice;
//  3. a deadline already past → 504, without running;
//  4. ordering (with [WithOrdering]): a stale Seq → 409 with the current state;
//  5. the concurrency limit: reached → 503 at once; after Shutdown → 503;
//  6. the handler, on its own goroutine, with a ctx derived from ctx that is
//     cancelled at the deadline: past it the caller gets 504 even if the
//     handler returns later; a panic → 500, logged with its stack.
//
// Cancelling ctx answers 503. Responses of steps 1, 3, 4 and 5 are not
// cached (nothing ran; a retry may run). The handler's response is cached,
// and persisted before Serve returns it, even when it comes after the caller
// was answered 504: a retry then gets what the handler really did, never a
// second run. The same holds for a panic's 500.
func (s *Server) Serve(ctx context.Context, req *Request) Response {
	resp, wait := s.begin(ctx, req)
	if wait != nil {
		return wait()
	}
	return resp
}

// begin runs the steps of Serve that decide at once, on the caller's
// goroutine, and returns either the final response (wait == nil) or a wait
// func that blocks until the response is known; the caller must call it
// exactly once, on any goroutine. A transport calls begin in arrival order
// and waits elsewhere, so that admission (ordering, the concurrency limit)
// follows arrival order while commands run concurrently.
func (s *Server) begin(ctx context.Context, req *Request) (resp Response, wait func() Response) {
	resp, wait, _ = s.beginDeliver(ctx, req, nil, nil)
	return resp, wait
}

// beginDeliver is begin, except that when deliver is not nil and req runs
// its handler, nothing is returned (started is true): deliver is called
// exactly once with the response, on the handler's goroutine once the
// handler has returned, or at the deadline (or ctx's end) if that comes
// first. It saves the caller a goroutine waiting for the handler's.
//
// detach, when not nil, is called once req is admitted, before its
// handler starts: when it returns true the caller's goroutine is free for
// the handler (a transport's worker that has detached, see
// transport.Detach), and the handler runs on it, so beginDeliver returns
// once the handler has returned. Otherwise the handler runs on a goroutine
// of the Server's.
func (s *Server) beginDeliver(ctx context.Context, req *Request, deliver func(Response), detach func() bool) (resp Response, wait func() Response, started bool) {
	if req.Method == "" {
		return ErrorResponse(&DecodeError{Field: "method", Reason: "empty"}), nil, false
	}
	if err := validateID("tid", req.TID); err != nil {
		return ErrorResponse(err), nil, false
	}
	now := s.now()
	if req.NoDedup {
		return s.run(ctx, req, &entry{done: make(chan struct{})}, false, now, deliver, detach)
	}
	e, found := s.cache.acquire(dedupKey{sender: req.Sender, tid: req.TID}, req.Method, req.Seq, now)
	switch found {
	case lookupHit:
		return e.resp, nil, false
	case lookupConflict:
		return ErrorResponse(fmt.Errorf("%w: tid %q from sender %q was method %q", ErrTIDReused, req.TID, req.Sender, e.method)), nil, false
	case lookupInFlight:
		r := *req // the caller may reuse req before waiting
		return Response{}, func() Response { return s.wait(ctx, &r, e, now) }, false
	}
	return s.run(ctx, req, e, true, now, deliver, detach)
}

// Shutdown stops admitting commands (they are answered 503) and waits until
// the running handlers have returned and their responses are stored, or ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	idle := make(chan struct{})
	go func() { s.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		s.pool.close() // no handler left: the idle workers can go
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) deadline(req *Request, now time.Time) time.Time {
	if req.Deadline.IsZero() {
		return now.Add(s.timeout)
	}
	return req.Deadline
}

// wait answers a duplicate of a transaction still running.
func (s *Server) wait(ctx context.Context, req *Request, e *entry, now time.Time) Response {
	wctx, cancel := context.WithTimeout(ctx, s.deadline(req, now).Sub(now))
	defer cancel()
	select {
	case <-e.done:
		return e.resp
	case <-wctx.Done():
		select {
		case <-e.done:
			return e.resp
		default:
			return ctxResponse(wctx.Err())
		}
	}
}

// run admits a claimed transaction and starts its handler; see
// beginDeliver for the results. dedup says whether e is in the cache.
func (s *Server) run(ctx context.Context, req *Request, e *entry, dedup bool, now time.Time, deliver func(Response), detach func() bool) (Response, func() Response, bool) {
	deadline := s.deadline(req, now)
	if !deadline.After(now) {
		return s.abandon(e, dedup, ErrorResponse(fmt.Errorf("%w before the command started", ErrDeadline))), nil, false
	}
	if err := ctx.Err(); err != nil {
		return s.abandon(e, dedup, ctxResponse(err)), nil, false
	}
	if err := s.admit(req, now); err != nil {
		if errors.Is(err, ErrStale) {
			return s.abandon(e, dedup, s.staleResponse(ctx, req, err)), nil, false
		}
		return s.abandon(e, dedup, ErrorResponse(err)), nil, false
	}
	hctx, cancel := context.WithTimeout(ctx, deadline.Sub(now))
	r := *req // the handler may outlive this call; the caller may reuse req
	r.Deadline = deadline
	if deliver == nil {
		s.pool.run(func() { s.handle(hctx, cancel, &r, e, dedup, nil) })
		return Response{}, func() Response {
			select {
			case <-e.done:
			case <-hctx.Done():
			}
			return answerOf(hctx, e)
		}, false
	}
	// Exactly one of the two delivers: the AfterFunc when hctx ends first
	// (stop then fails), else the handler's goroutine (stop succeeds).
	stop := context.AfterFunc(hctx, func() { deliver(answerOf(hctx, e)) })
	a := &delivery{stop: stop, deliver: deliver}
	if detach != nil && detach() {
		// Saves handing the command to another goroutine (the scheduler's
		// share of a round trip's CPU halved in a profile).
		s.handle(hctx, cancel, &r, e, dedup, a)
	} else {
		s.pool.run(func() { s.handle(hctx, cancel, &r, e, dedup, a) })
	}
	return Response{}, nil, true
}

// delivery is how a command started by beginDeliver is answered from its
// handler's goroutine.
type delivery struct {
	stop    func() bool // stops the AfterFunc that answers at the deadline
	deliver func(Response)
}

// answerOf is the answer to a command whose handler returned (e.done
// closed) or whose ctx ended: the handler's response if it returned in
// time, else 504 at the deadline (503 when ctx was cancelled), whenever
// the handler returns.
func answerOf(ctx context.Context, e *entry) Response {
	select {
	case <-e.done:
		if !e.late {
			return e.resp
		}
	default:
	}
	return ctxResponse(ctx.Err())
}

// admit checks shutdown, ordering and the concurrency limit, and on success
// takes a slot and advances the sender's sequence number, all at once.
func (s *Server) admit(req *Request, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	ordered := s.order != nil && req.Seq != 0
	if ordered {
		if err := s.order.check(req.Sender, req.Seq); err != nil {
			return err
		}
	}
	if s.running >= s.maxRunning {
		return fmt.Errorf("%w (limit %d)", ErrBusy, s.maxRunning)
	}
	if ordered {
		s.order.advance(req.Sender, req.Seq, now)
	}
	s.running++
	s.wg.Add(1)
	return nil
}

// freeSlot gives back a handler's slot once the handler has returned, before
// its response is published: a caller answered must find the slot free for
// its next command. The Shutdown wait (wg) ends after publication.
func (s *Server) freeSlot() {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
}

// handle runs the handler on its own goroutine and records its response;
// with a, it then answers the command itself unless the deadline did.
func (s *Server) handle(ctx context.Context, cancel context.CancelFunc, req *Request, e *entry, dedup bool, a *delivery) {
	var resp Response
	returned := false
	defer func() {
		late := ctx.Err() != nil
		if !returned {
			// A panic, or runtime.Goexit (recover returns nil then).
			v := recover()
			s.log.ErrorContext(ctx, "command: handler panicked or exited", "method", req.Method, "tid", req.TID,
				"sender", req.Sender, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp = ErrorResponse(ErrPanic)
		} else if late {
			s.log.WarnContext(ctx, "command: handler returned after its context ended",
				"method", req.Method, "tid", req.TID, "sender", req.Sender, "err", ctx.Err())
		}
		s.freeSlot()
		s.finish(e, dedup, resp, late) // before cancel: Serve must see the result, not a cancelled ctx
		var answer Response
		deliver := a != nil && a.stop() // before cancel, which would run the AfterFunc
		if deliver {
			answer = answerOf(ctx, e)
		}
		cancel()
		s.wg.Done()
		if deliver {
			a.deliver(answer)
		}
	}()
	resp = s.handler.ServeCommand(ctx, req)
	returned = true
	resp = s.check(ctx, req, resp)
}

// check enforces the Response contract: a zero Status means 200; a status
// outside 100-599 or a payload that is not JSON is the handler's bug → 500.
func (s *Server) check(ctx context.Context, req *Request, resp Response) Response {
	if resp.Status == 0 {
		resp.Status = StatusOK
	}
	if resp.Status < 100 || resp.Status > 599 {
		s.log.ErrorContext(ctx, "command: handler returned an invalid status", "method", req.Method,
			"tid", req.TID, "status", resp.Status)
		return ErrorResponse(fmt.Errorf("command: handler returned status %d", resp.Status))
	}
	if len(resp.Payload) > 0 && !json.Valid(resp.Payload) {
		s.log.ErrorContext(ctx, "command: handler returned a payload that is not JSON", "method", req.Method,
			"tid", req.TID)
		return ErrorResponse(ErrInvalidPayload)
	}
	return resp
}

// finish publishes a transaction's final response: stored, then cached, then
// handed to the waiters. late says the handler returned after its ctx ended.
func (s *Server) finish(e *entry, dedup bool, resp Response, late bool) {
	e.late = late // read only after done is closed
	if !dedup {
		e.resp = resp
		close(e.done)
		return
	}
	if s.store == nil {
		s.cache.complete(e, resp, s.now())
		return
	}
	s.persistMu.Lock()
	defer s.persistMu.Unlock()
	now := s.now()
	rec := DedupRecord{Sender: e.key.sender, TID: e.key.tid, Method: e.method, Seq: e.seq, Completed: now, Response: resp}
	if err := s.store.Append(rec); err != nil {
		// The effect has happened: answer anyway; only a reboot could repeat it.
		s.log.Error("command: persisting a completed command", "tid", e.key.tid, "sender", e.key.sender, "err", err)
	}
	s.cache.complete(e, resp, now)
	s.stored++
	if s.stored > 2*s.cache.size {
		s.compact(now)
	}
}

// compact rewrites the store with the live cache entries; the caller holds
// persistMu or runs before the Server serves.
func (s *Server) compact(now time.Time) {
	live := s.cache.snapshot(now)
	recs := make([]DedupRecord, len(live))
	for i, e := range live {
		recs[i] = recordOf(e)
	}
	if err := s.store.Compact(recs); err != nil {
		s.log.Error("command: compacting the dedup store", "err", err)
		return
	}
	s.stored = len(recs)
}

// abandon answers a claimed transaction that did not run, and forgets it.
func (s *Server) abandon(e *entry, dedup bool, resp Response) Response {
	if dedup {
		s.cache.abandon(e, resp)
	} else {
		e.resp = resp
		close(e.done)
	}
	return resp
}

// staleResponse is the 409 for a stale command: the state func's payload,
// or the error without one.
func (s *Server) staleResponse(ctx context.Context, req *Request, err error) (resp Response) {
	if s.state == nil {
		return ErrorResponse(err)
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(ctx, "command: state func panicked", "method", req.Method, "tid", req.TID,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp = ErrorResponse(ErrPanic)
		}
	}()
	payload := s.state(ctx, req)
	if len(payload) > 0 && !json.Valid(payload) {
		s.log.ErrorContext(ctx, "command: state func returned a payload that is not JSON", "method", req.Method)
		return ErrorResponse(err)
	}
	return Response{Status: StatusConflict, Payload: payload}
}

// ctxResponse answers a caller whose wait ended: 504 at the deadline, 503
// when the caller's ctx was cancelled.
func ctxResponse(err error) Response {
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrorResponse(ErrDeadline)
	}
	return ErrorResponse(fmt.Errorf("command: %w", err))
}
