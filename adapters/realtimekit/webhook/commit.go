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
// near the cost of checking the signature. There is no timer: the first
// caller writes at once, and whoever arrives meanwhile goes into the next
// write, led by the first of them.
type committer struct {
	inbox core.RoomInbox
	// fresh is inbox when it checks the dedupe keys in the write itself
	// (bbolt), so a delivery needs no KnownInbox read of its own; nil
	// otherwise, and ServeHTTP asks KnownInbox first.
	fresh freshInbox

	mu      sync.Mutex
	leading bool
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
	c := &committer{inbox: inbox}
	c.fresh, _ = inbox.(freshInbox)
	return c
}

type commitReq struct {
	e    *core.InboxEntry
	err  error
	dup  bool          // not stored: a key of e is claimed (fresh inboxes only)
	lead bool          // set instead of a result: this request leads next
	done chan struct{} // closed when err is set, or lead
}

// accept stores e, sharing the write with concurrent callers. stored is
// false, with no error, when the inbox found one of e's keys claimed.
func (c *committer) accept(ctx context.Context, e *core.InboxEntry) (stored bool, err error) {
	r := &commitReq{e: e, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, r)
	if c.leading {
		c.mu.Unlock()
		// No giving up here: the request is in a group that will be
		// written, and whoever leads next must be there to lead. Each
		// write is bounded by storeTimeout, so the wait is too.
		<-r.done
		if !r.lead {
			return !r.dup, r.err
		}
		c.mu.Lock() // lead the next write, which holds r
	}
	c.leading = true
	batch := c.queue[:min(len(c.queue), maxGroup)]
	c.queue = c.queue[len(batch):]
	c.mu.Unlock()

	c.write(ctx, batch)

	c.mu.Lock()
	if len(c.queue) > 0 {
		next := c.queue[0]
		next.lead = true
		close(next.done) // hand the lead over; it stays leading
	} else {
		c.leading = false
	}
	c.mu.Unlock()
	return !r.dup, r.err
}

// write stores one group and answers each of its requests except the
// leader's own, which reads its result from its request.
func (c *committer) write(ctx context.Context, batch []*commitReq) {
	entries := make([]*core.InboxEntry, len(batch))
	for i, r := range batch {
		entries[i] = r.e
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
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
		if r.lead {
			continue // the leader of this write; it is not waiting
		}
		close(r.done)
	}
}
