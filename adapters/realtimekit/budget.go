package realtimekit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// budget keeps every request to RealtimeKit within Cloudflare's API limit
// (1,200 calls per 5 minutes per token, with a 5-minute lock-out when
// exceeded), shared by all callers of one Client.
//
// It is a sliding-window log rather than a refilling token bucket: it
// remembers when each of the last calls was sent and admits a call only if
// fewer than the limit were sent in the window before it. That guarantees
// "never more than limit calls in any window" exactly, whatever the
// alignment of Cloudflare's own window, while still letting a burst use the
// whole budget (a bucket with that guarantee must start with a smaller
// burst). Interactive calls may use the whole limit; background calls stop
// at bgLimit, leaving the rest for people waiting on a reply.
//
// A 429 from upstream pauses every call until its Retry-After has passed.
type budget struct {
	limit   int
	bgLimit int
	window  time.Duration
	now     func() time.Time

	mu          sync.Mutex
	sent        []time.Time // send times within the window, oldest first
	pausedUntil time.Time
}

func newBudget(limit int, window time.Duration, reserve float64, now func() time.Time) (*budget, error) {
	bg := int(float64(limit) * (1 - reserve))
	if bg < 1 {
		return nil, fmt.Errorf("realtimekit: budget %d with background reserve %.2f leaves no calls for background work", limit, reserve)
	}
	return &budget{limit: limit, bgLimit: bg, window: window, now: now}, nil
}

// budgetError refuses a call that could not be sent before its deadline.
// It reports itself as context.DeadlineExceeded to errors.Is: that is what
// it means (waiting would outlast the deadline), and it stops the SDK from
// retrying an attempt the budget refused.
type budgetError struct {
	wait   time.Duration
	paused bool // refused because of an upstream 429, not our own budget
}

func (e *budgetError) Error() string {
	if e.paused {
		return fmt.Sprintf("realtimekit: paused after a 429 for another %v", e.wait.Round(time.Millisecond))
	}
	return fmt.Sprintf("realtimekit: API budget used up; next call possible in %v", e.wait.Round(time.Millisecond))
}

func (e *budgetError) Is(target error) bool { return target == context.DeadlineExceeded }

// acquire waits until a call of priority p may be sent and records it as
// sent. It fails at once, without waiting, when that moment is after ctx's
// deadline: a person should hear "busy, try again in N s" now rather than
// after a timeout.
func (b *budget) acquire(ctx context.Context, p core.Priority) error {
	limit := b.limit
	if p == core.PriorityBackground {
		limit = b.bgLimit
	}
	for {
		b.mu.Lock()
		now := b.now()
		b.prune(now)
		ready, paused := now, false
		if n := len(b.sent); n >= limit {
			ready = b.sent[n-limit].Add(b.window)
		}
		if b.pausedUntil.After(ready) {
			ready, paused = b.pausedUntil, true
		}
		if !ready.After(now) {
			b.sent = append(b.sent, now)
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()

		wait := ready.Sub(now)
		if dl, ok := ctx.Deadline(); ok && ready.After(dl) {
			return &budgetError{wait: wait, paused: paused}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
			// Re-check: a faster caller may have taken the slot.
		}
	}
}

// prune forgets sends older than the window. Callers hold b.mu.
func (b *budget) prune(now time.Time) {
	cut := now.Add(-b.window)
	i := 0
	for i < len(b.sent) && !b.sent[i].After(cut) {
		i++
	}
	if i > 0 {
		b.sent = append(b.sent[:0], b.sent[i:]...)
	}
}

// pause holds every call until d from now (an upstream Retry-After). A
// shorter pause never cuts a longer one short.
func (b *budget) pause(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

// left is how many calls of priority p may be sent now without waiting.
func (b *budget) left(p core.Priority) int {
	limit := b.limit
	if p == core.PriorityBackground {
		limit = b.bgLimit
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.pausedUntil.After(now) {
		return 0
	}
	b.prune(now)
	return max(0, limit-len(b.sent))
}
