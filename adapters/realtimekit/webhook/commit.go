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
type committer struct {
	inbox core.RoomInbox
	// fresh is inbox when it checks the dedupe keys in the write itself
	// (bbolt), so a delivery needs no KnownInbox read of its own; nil
	// otherwise, and ServeHTTP asks KnownInbox first.
	fresh freshInbox

	// maxGroup is the package's maxGroup; tests lower it.
	maxGroup int

	mu      sync.Mutex
	writing bool // the write loop runs
	queue   []*commitReq
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

type commitReq struct {
	e    *core.InboxEntry
	err  error
	dup  bool          // not stored: a key of e is claimed (fresh inboxes only)
	done chan struct{} // closed when err and dup are set
}

// accept stores e, sharing the write with concurrent callers. stored is
// false, with no error, when the inbox found one of e's keys claimed.
// There is no giving up while waiting: the request is in a group that
// will be written, and each write has storeTimeout as its context, which
// bounds the wait on etcd; bbolt checks the context only before it
// starts, so a write stuck in fsync holds every caller queued behind it.
func (c *committer) accept(e *core.InboxEntry) (stored bool, err error) {
	r := &commitReq{e: e, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, r)
	if !c.writing {
		c.writing = true
		go c.loop()
	}
	c.mu.Unlock()
	<-r.done
	return !r.dup, r.err
}

// loop writes the queue in groups of at most c.maxGroup until it is
// empty.
func (c *committer) loop() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := c.queue[:min(len(c.queue), c.maxGroup)]
		if len(batch) == len(c.queue) {
			c.queue = nil // the next group starts a new array; batch keeps this one
		} else {
			c.queue = c.queue[len(batch):]
		}
		c.mu.Unlock()
		c.write(batch)
	}
}

// write stores one group and answers each of its requests.
func (c *committer) write(batch []*commitReq) {
	entries := make([]*core.InboxEntry, len(batch))
	for i, r := range batch {
		entries[i] = r.e
	}
	wctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	var stored []bool
	var err error
	if c.fresh != nil {
		stored, err = c.fresh.AcceptNewInbox(wctx, entries)
	} else {
		err = c.inbox.AcceptInbox(wctx, entries)
	}
	cancel()
	for i, r := range batch {
		r.err = err
		r.dup = err == nil && stored != nil && !stored[i]
		close(r.done)
	}
}
