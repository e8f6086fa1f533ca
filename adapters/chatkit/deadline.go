package chatkit

import (
	"context"
	"time"
)

// Deadline is how an adapter answers a request its platform wants
// answered quickly (Slack and Discord: 3 seconds): the work runs at once,
// and when it has not finished within Wait the request is acknowledged
// and the result follows later. The zero fields take the Default* values.
type Deadline struct {
	// Group counts the work and its follow-up, for shutdown. Required.
	Group *Group
	// Wait is how long the answer may take before the request is
	// deferred; default DefaultAckWait, inside the platforms' 3 s.
	Wait time.Duration
	// Timeout bounds the work, and separately its follow-up; default
	// DefaultWorkTimeout.
	Timeout time.Duration
	// After is the clock of the wait, time.After when nil. Tests hand in
	// a channel they fire themselves, so "too slow" needs no real waiting.
	After func(time.Duration) <-chan time.Time
}

// Detach runs fn in d.Group with a context that keeps ctx's values but
// not its cancellation (the request that started the work is answered and
// gone by then), bounded by d.Timeout.
func (d Deadline) Detach(ctx context.Context, fn func(ctx context.Context)) {
	base := context.WithoutCancel(ctx)
	d.Group.Go(func() { d.run(base, fn) })
}

// run calls fn under base bounded by d.Timeout.
func (d Deadline) run(base context.Context, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(base, Or(d.Timeout, DefaultWorkTimeout))
	defer cancel()
	fn(ctx)
}

// Answer runs work (in d.Group, under a detached context bounded by
// d.Timeout) and waits up to d.Wait for its result. In time, it returns
// the result and true: the caller answers the request with it. Too late,
// it calls deferred, which acknowledges the request on the platform's
// wire ("Working on it…", Discord's deferred response) and reports
// whether a follow-up is wanted; if so, follow gets the result once the
// work is done (under a fresh detached context), and Answer returns the
// zero T and false. When deferred reports false (the acknowledgement
// failed, or the request kind cannot be deferred) the result is dropped.
// A nil deferred counts as one that succeeded.
func Answer[T any](ctx context.Context, d Deadline, work func(ctx context.Context) T, deferred func() bool, follow func(ctx context.Context, result T)) (T, bool) {
	done := make(chan T, 1)
	d.Detach(ctx, func(ctx context.Context) { done <- work(ctx) })
	after := d.After
	if after == nil {
		after = time.After
	}
	select {
	case v := <-done:
		return v, true
	case <-after(Or(d.Wait, DefaultAckWait)):
	}
	var zero T
	if deferred != nil && !deferred() {
		return zero, false
	}
	base := context.WithoutCancel(ctx)
	d.Group.Go(func() {
		// The work is bounded by its own timeout, so this wait ends; the
		// follow-up's time starts once the result is there.
		v := <-done
		d.run(base, func(ctx context.Context) { follow(ctx, v) })
	})
	return zero, false
}
