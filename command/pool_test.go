package command

import (
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
)

// A workerPool runs every function, reuses a waiting worker for the next
// one, and ends its waiting workers on close.
func TestWorkerPoolReusesAndCloses(t *testing.T) {
	leakcheck.Check(t)
	p := newWorkerPool()
	first := make(chan struct{})
	p.run(func() { close(first) })
	<-first
	// The first worker now waits for work: the next function is handed to it
	// (a send on the unbuffered jobs channel succeeds only to a waiting worker).
	deadline := time.Now().Add(5 * time.Second)
	for {
		ran := make(chan struct{})
		select {
		case p.jobs <- func() { close(ran) }:
			<-ran
		default:
			if time.Now().After(deadline) {
				t.Fatal("no worker waits for work after its first function")
			}
			time.Sleep(time.Millisecond)
			continue
		}
		break
	}
	p.close()
	p.close() // idempotent
	ran := make(chan struct{})
	p.run(func() { close(ran) }) // after close: on a goroutine of its own
	<-ran
}
