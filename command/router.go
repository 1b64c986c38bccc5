package command

import (
	"context"
	"fmt"
	"sync"
)

// Router dispatches commands to handlers by exact method name, the way
// http.ServeMux dispatches requests by path. Unknown methods go to the
// NotFound handler, by default a 404 wrapping [ErrUnknownMethod].
//
// The zero value is ready to use. A Router is safe for concurrent use;
// handlers may be added while it serves.
type Router struct {
	mu       sync.RWMutex
	handlers map[string]Handler
	notFound Handler
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{} }

// Handle registers h for method. Like http.ServeMux, it panics if method is
// invalid (see [ValidateMethod]), h is nil, or method is already registered:
// these are programming errors found at start-up.
func (r *Router) Handle(method string, h Handler) {
	if err := ValidateMethod(method); err != nil {
		panic(err)
	}
	if h == nil {
		panic("command: nil handler for method " + method)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[method]; dup {
		panic(fmt.Sprintf("command: method %q registered twice", method))
	}
	if r.handlers == nil {
		r.handlers = make(map[string]Handler)
	}
	r.handlers[method] = h
}

// HandleFunc registers f for method; see [Router.Handle].
func (r *Router) HandleFunc(method string, f func(ctx context.Context, req *Request) Response) {
	r.Handle(method, HandlerFunc(f))
}

// HandleNotFound sets the handler for methods nothing is registered for;
// nil restores the default 404.
func (r *Router) HandleNotFound(h Handler) {
	r.mu.Lock()
	r.notFound = h
	r.mu.Unlock()
}

// Handler returns the handler for method and whether one is registered.
func (r *Router) Handler(method string) (h Handler, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok = r.handlers[method]
	return h, ok
}

// ServeCommand dispatches req to the handler registered for req.Method.
func (r *Router) ServeCommand(ctx context.Context, req *Request) Response {
	r.mu.RLock()
	h, ok := r.handlers[req.Method]
	nf := r.notFound
	r.mu.RUnlock()
	switch {
	case ok:
		return h.ServeCommand(ctx, req)
	case nf != nil:
		return nf.ServeCommand(ctx, req)
	default:
		return ErrorResponse(fmt.Errorf("%w %q", ErrUnknownMethod, req.Method))
	}
}
