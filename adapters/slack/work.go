package slack

import "sync"

// workGroup counts work that outlives its request (slow commands, clicks,
// acks), like sync.WaitGroup, but may start work while Wait is waiting: a
// request still in flight after the web server's shutdown deadline must
// not panic the process, as WaitGroup's reuse check would. Work started
// after Wait returned still runs; it finds the store closed and logs.
type workGroup struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

// Go runs fn in a goroutine, counted until it returns.
func (g *workGroup) Go(fn func()) {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	go func() {
		defer g.done()
		fn()
	}()
}

func (g *workGroup) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.zero != nil {
		g.zero.Broadcast()
	}
}

// Wait blocks until no counted work is running.
func (g *workGroup) Wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.zero == nil {
		g.zero = sync.NewCond(&g.mu)
	}
	for g.n > 0 {
		g.zero.Wait()
	}
}
