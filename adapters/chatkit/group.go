package chatkit

import (
	"context"
	"sync"
)

// Restarting is the answer to a request that arrives while the adapter
// drains for shutdown: nothing was done, and trying again reaches the
// next process.
const Restarting = "meetbot is restarting; try again in a moment."

// Group counts work that outlives its request (a slow command finishing
// through a follow-up, a button click answered later) so shutdown can
// wait for it before the store closes. Unlike sync.WaitGroup, work may
// start while someone waits: a request still in flight when shutdown
// begins must not panic the process. The zero Group is ready to use.
type Group struct {
	mu       sync.Mutex
	n        int
	draining bool
	idle     chan struct{} // closed when n drops to zero; nil while n is zero
}

// Go runs fn in a goroutine, counted until it returns. It runs even while
// the group drains: it is work an accepted request already owes.
func (g *Group) Go(fn func()) {
	g.add()
	go func() {
		defer g.done()
		fn()
	}()
}

// Enter counts the caller in for the handling of one new request and
// returns the function that counts it out. ok is false once Drain has
// begun: the request should be refused with a "restarting, try again"
// sentence rather than start work that shutdown would cut off.
func (g *Group) Enter() (leave func(), ok bool) {
	g.mu.Lock()
	if g.draining {
		g.mu.Unlock()
		return func() {}, false
	}
	g.addLocked()
	g.mu.Unlock()
	var once sync.Once
	return func() { once.Do(g.done) }, true
}

func (g *Group) add() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addLocked()
}

func (g *Group) addLocked() {
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
}

func (g *Group) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 {
		close(g.idle)
		g.idle = nil
	}
}

// Wait blocks until no counted work is running. It does not refuse new
// requests; tests use it to let background work settle between steps.
func (g *Group) Wait() { _ = g.wait(context.Background()) }

// Drain refuses new requests (Enter reports false from now on) and waits
// until the counted work has finished or ctx ends, returning ctx's error
// in that case. Call it on shutdown after the transports stopped
// accepting requests, before the store closes.
func (g *Group) Drain(ctx context.Context) error {
	g.mu.Lock()
	g.draining = true
	g.mu.Unlock()
	return g.wait(ctx)
}

func (g *Group) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		idle := g.idle
		g.mu.Unlock()
		if idle == nil {
			return nil
		}
		select {
		case <-idle:
			// Work that started meanwhile made a new idle channel: loop.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
