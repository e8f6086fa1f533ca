package webhook

import (
	"context"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Wake makes Run look at the inbox now. It never blocks.
func (rc *Receiver) Wake() {
	select {
	case rc.wake <- struct{}{}:
	default:
	}
}

// Run hands stored deliveries to the RoomEventHandler until ctx ends: at
// once (entries left from before a restart), whenever ServeHTTP stored
// one, and every RetryEvery for entries whose hand-over failed. Each
// replica runs it; when two replicas both see an entry the handler gets it
// twice, which RoomEventHandler allows. It returns ctx's error.
func (rc *Receiver) Run(ctx context.Context) error {
	t := time.NewTicker(rc.opts.RetryEvery)
	defer t.Stop()
	var lastPrune time.Time
	for {
		if _, err := rc.Drain(ctx); err != nil && ctx.Err() == nil {
			rc.log.Warn().Err(err).Msg("webhook inbox not readable; retrying later")
		}
		if now := rc.clock.Now(); now.Sub(lastPrune) >= pruneEvery {
			lastPrune = now
			if n, err := rc.opts.Inbox.PruneInbox(ctx, now); err != nil && ctx.Err() == nil {
				rc.log.Warn().Err(err).Msg("webhook dedupe keys not pruned")
			} else if n > 0 {
				rc.log.Debug().Int("pruned", n).Msg("webhook dedupe keys pruned")
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-rc.wake:
		case <-t.C:
		}
	}
}

// Drain makes one pass over the pending entries: each is parsed and handed
// over; a success or an unparsable entry is removed, a failure counted
// (and dropped after MaxAttempts). It returns how many it handed over
// successfully. A failing entry does not hold up the ones after it: the
// handler copes with any order.
func (rc *Receiver) Drain(ctx context.Context) (int, error) {
	rc.drainMu.Lock()
	defer rc.drainMu.Unlock()
	done := 0
	for {
		pending, err := rc.opts.Inbox.PendingInbox(ctx, batch)
		if err != nil {
			return done, err
		}
		moved := false // some entry left the queue: a next page is worth reading
		for _, e := range pending {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			if next, ok := rc.backoff[e.ID]; ok && rc.clock.Now().Before(next) {
				continue // failed lately: wait for its turn, not for every wake
			}
			ok, gone, err := rc.handle(ctx, e)
			if err != nil {
				return done, err
			}
			if ok {
				done++
			}
			moved = moved || gone
		}
		if len(pending) < batch || !moved {
			return done, nil
		}
	}
}

// handle hands one entry over and records the outcome: handed says the
// handler took it, gone that it left the queue (handed, a duplicate, or
// dropped). The error is the store's; the handler's failure is recorded
// on the entry instead. Callers hold drainMu.
func (rc *Receiver) handle(ctx context.Context, e *core.InboxEntry) (handed, gone bool, err error) {
	// Parsed again rather than kept from ServeHTTP: it is cheap
	// (decodePayload), and a map of events waiting for their hand-over
	// cost every delivery more than the second parse does.
	ev, use, err := Parse(e.Body, deliveryOf(e.ID))
	if err != nil || !use {
		// Stored entries parsed when they came; this is a newer build
		// that reads them differently. Nothing to retry.
		rc.log.Warn().Err(err).Str("delivery", e.ID).Msg("stored webhook no longer parses; dropped")
		return false, true, rc.opts.Inbox.DoneInbox(ctx, e)
	}
	first, err := rc.opts.Inbox.ClaimInbox(ctx, e, rc.clock.Now(), rc.opts.DedupeTTL)
	if err != nil {
		return false, false, err
	}
	if !first {
		rc.log.Debug().Str("event", string(ev.Kind)).Str("delivery", e.ID).Msg("redelivered webhook dropped")
		return false, true, rc.opts.Inbox.DoneInbox(ctx, e)
	}
	hctx, cancel := context.WithTimeout(ctx, handleTimeout)
	herr := rc.opts.Handler.HandleRoomEvent(hctx, ev)
	cancel()
	if herr == nil {
		delete(rc.backoff, e.ID)
		rc.log.Debug().Str("event", string(ev.Kind)).Str("delivery", e.ID).Msg("room event handled")
		return true, true, rc.opts.Inbox.DoneInbox(ctx, e)
	}
	if ctx.Err() != nil {
		return false, false, ctx.Err()
	}
	e.Attempts++
	if e.Attempts >= rc.opts.MaxAttempts {
		delete(rc.backoff, e.ID)
		rc.log.Error().Err(herr).Str("event", string(ev.Kind)).Str("delivery", e.ID).Int("attempts", e.Attempts).
			Msg("room event dropped after repeated failures")
		return false, true, rc.opts.Inbox.DoneInbox(ctx, e)
	}
	rc.log.Warn().Err(herr).Str("event", string(ev.Kind)).Str("delivery", e.ID).Int("attempts", e.Attempts).
		Msg("room event not handled; will retry")
	rc.backoff[e.ID] = rc.clock.Now().Add(rc.opts.RetryEvery)
	if err := rc.opts.Inbox.RetryInbox(ctx, e); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return false, false, err
	}
	return false, false, nil
}
