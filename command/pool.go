package command

import (
	"sync"
	"time"
)

// workerLinger is how long a goroutine of a workerPool waits for its next
// function before it ends.
const workerLinger = time.Second

// workerPool runs functions on goroutines that wait workerLinger for the
// next function after each one. Every command runs its handler, and awaits
// its answer, on a goroutine of its own: reusing them saves creating two
// goroutines per command and growing their stacks again (the handler's
// goroutine grows to hold the response's encoding and publication), while
// an idle Server holds no goroutine. It adds no limit: the Server's
// admission bounds the handlers, the Device's semaphore the waits.
type workerPool struct {
	jobs     chan func() // unbuffered: a send succeeds only to a waiting worker
	quit     chan struct{}
	quitOnce sync.Once
}

func newWorkerPool() *workerPool {
	return &workerPool{jobs: make(chan func()), quit: make(chan struct{})}
}

// run runs fn on a waiting worker, or on a new one.
func (p *workerPool) run(fn func()) {
	select {
	case p.jobs <- fn:
	default:
		go p.work(fn)
	}
}

func (p *workerPool) work(fn func()) {
	fn()
	idle := time.NewTimer(workerLinger)
	defer idle.Stop()
	for {
		select {
		case fn := <-p.jobs:
			fn()
			idle.Reset(workerLinger)
		case <-idle.C:
			return
		case <-p.quit:
			return
		}
	}
}

// close ends the waiting workers at once; later functions run on
// goroutines that end with them.
func (p *workerPool) close() {
	p.quitOnce.Do(func() { close(p.quit) })
}
