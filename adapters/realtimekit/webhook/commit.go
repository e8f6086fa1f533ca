package webhook

import (
	"context"
	"sync"

	"github.com/meetbot/meetbot/core"
)

// maxGroup bounds how many deliveries one store write carries.
const maxGroup = 1024

// committer folds the inbox appends of concurrent deliveries into one
// AcceptInbox call: the 2xx must wait for a durable write, and one commit
// (two fsyncs on bbolt) for many deliveries is what keeps the endpoint
// near the cost of checking the signature. There is no timer: a write
// starts as soon as the one before it ends, carrying everything that
// queued meanwhile.
//
// The writes run on one goroutine of their own, started by the first
// delivery to queue when none is running and ending when the queue is
// empty. A delivery's goroutine only queues and waits. So the next write
// starts the moment a commit returns, before the deliveries it answered
// are scheduled again, rather than when one of them (handed the lead)
// gets a core back, which took one signature check's worth of time on a
// busy machine.
//
// Deliveries queue in groups of at most maxGroup, each written by one
// store call and answered by closing one channel: a delivery costs a slot
// in its group's slice, not a request and a channel of its own.
type committer struct {
	inbox core.RoomInbox
	// fresh is inbox when it checks the dedupe keys in the write itself
	// (bbolt), so a delivery needs no KnownInbox read of its own; nil
	// otherwise, and ServeHTTP asks KnownInbox first.
	fresh freshInbox

	// maxGroup is the package's maxGroup; tests lower it.
	maxGroup int

	mu      sync.Mutex
	writing bool           // the write loop runs
	queue   []*commitGroup // oldest first; the last one may still grow
}

// freshInbox is a core.RoomInbox that can refuse, in the write that
// stores them, the entries one of whose dedupe keys is already claimed:
// stored[i] reports whether entries[i] was stored. It is not part of the
// core port, which etcd serves through KnownInbox and AcceptInbox.
type freshInbox interface {
	AcceptNewInbox(ctx context.Context, entries []*core.InboxEntry) (stored []bool, err error)
}

func newCommitter(inbox core.RoomInbox) *committer {
	c := &committer{inbox: inbox, maxGroup: maxGroup}
	c.fresh, _ = inbox.(freshInbox)
	return c
}

// commitGroup is the deliveries one write carries. entries only grows
// while the group is the last in the queue; once the loop takes it, it
// is read-only, and after done is closed err and stored are the answers.
type commitGroup struct {
	entries []*core.InboxEntry
	// stored[i] is false when entries[i] was refused for a claimed key;
	// nil when the inbox does not check keys as it writes, or on err.
	stored []bool
	err    error
	done   chan struct{}
}

// accept stores e, sharing the write with concurrent callers. stored is
// false, with no error, when the inbox found one of e's keys claimed.
// There is no giving up while waiting: the delivery is in a group that
// will be written, and each write has storeTimeout as its context, which
// bounds the wait on etcd; bbolt checks the context only before it
// starts, so a write stuck in fsync holds every caller queued behind it.
func (c *committer) accept(e *core.InboxEntry) (stored bool, err error) {
	c.mu.Lock()
	var g *commitGroup
	if n := len(c.queue); n > 0 && len(c.queue[n-1].entries) < c.maxGroup {
		g = c.queue[n-1]
	} else {
		g = &commitGroup{done: make(chan struct{})}
		c.queue = append(c.queue, g)
	}
	i := len(g.entries)
	g.entries = append(g.entries, e)
	if !c.writing {
		c.writing = true
		go c.loop()
	}
	c.mu.Unlock()
	<-g.done
	return g.stored == nil || g.stored[i], g.err
}

// loop writes the queued groups, oldest first, until none is left.
func (c *committer) loop() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		g := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		c.write(g)
	}
}

// write stores one group and answers its deliveries.
func (c *committer) write(g *commitGroup) {
	wctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	if c.fresh != nil {
		g.stored, g.err = c.fresh.AcceptNewInbox(wctx, g.entries)
	} else {
		g.err = c.inbox.AcceptInbox(wctx, g.entries)
	}
	cancel()
	if g.err != nil || len(g.stored) != len(g.entries) {
		g.stored = nil // no per-entry answer to trust
	}
	close(g.done)
}
