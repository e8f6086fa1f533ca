package storagetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// inboxEntry returns an entry received at base+i seconds whose body holds
// every kind of byte, so a backend that treats it as text fails.
func inboxEntry(i int, keys ...string) *core.InboxEntry {
	body := []byte(fmt.Sprintf(`{"event":"meeting.started","n":%d}`, i))
	body = append(body, '\n', 0, 0xff, '\n')
	return &core.InboxEntry{ID: fmt.Sprintf("delivery-%d", i), Received: base.Add(time.Duration(i) * time.Second), Body: body, Keys: keys}
}

func runInboxTests(t *testing.T, fresh func(t *testing.T) core.Store) {
	// Ensure accepted entries come back whole and oldest first, that done
	// ones leave the queue, and that attempts are kept.
	t.Run("InboxQueueRoundTrip", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		if got, err := s.PendingInbox(ctx, 10); err != nil || len(got) != 0 {
			t.Fatalf("PendingInbox on empty store: %v, %v", got, err)
		}
		// Accepted out of receive order, in one call; the queue is by
		// receive time.
		batch := []*core.InboxEntry{inboxEntry(2, "u2"), inboxEntry(0, "u0", "h0"), inboxEntry(1)}
		if err := s.AcceptInbox(ctx, batch); err != nil {
			t.Fatalf("AcceptInbox: %v", err)
		}
		batch[0].Body[0], batch[1].Keys[0] = 'X', "changed" // the store must have copied them
		got, err := s.PendingInbox(ctx, 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("PendingInbox = %d entries, %v; want 3", len(got), err)
		}
		wantKeys := [][]string{{"u0", "h0"}, nil, {"u2"}}
		for i, e := range got {
			want := inboxEntry(i)
			if e.ID != want.ID || !e.Received.Equal(want.Received) || !bytes.Equal(e.Body, want.Body) || e.Attempts != 0 || !slices.Equal(e.Keys, wantKeys[i]) {
				t.Fatalf("entry %d = %+v, want %+v with keys %v", i, e, want, wantKeys[i])
			}
		}
		if got, _ := s.PendingInbox(ctx, 2); len(got) != 2 || got[1].ID != "delivery-1" {
			t.Fatalf("PendingInbox(limit 2) = %v", got)
		}
		got[0].Attempts = 3
		if err := s.RetryInbox(ctx, got[0]); err != nil {
			t.Fatalf("RetryInbox: %v", err)
		}
		if err := s.DoneInbox(ctx, got[1]); err != nil {
			t.Fatalf("DoneInbox: %v", err)
		}
		if err := s.DoneInbox(ctx, got[1]); err != nil {
			t.Fatalf("DoneInbox twice: %v", err)
		}
		wantCode(t, s.RetryInbox(ctx, got[1]), core.ENOTFOUND, "RetryInbox of a done entry")
		left, err := s.PendingInbox(ctx, 10)
		if err != nil || len(left) != 2 || left[0].ID != "delivery-0" || left[0].Attempts != 3 || left[1].ID != "delivery-2" {
			t.Fatalf("after done/retry: %+v, %v", left, err)
		}
		if err := s.AcceptInbox(ctx, []*core.InboxEntry{{ID: "", Received: base}}); err == nil {
			t.Fatal("AcceptInbox took an entry without an id")
		}
	})

	// Ensure a delivery's keys go to the first entry that claims them:
	// another entry sharing any one of them is refused (and stores none of
	// its own), the same entry may claim again (a retry, a restart), and
	// the keys are known until they expire and are pruned.
	t.Run("InboxClaimDedupesUntilKeysExpire", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		claim := func(e *core.InboxEntry, at time.Time, want bool) {
			t.Helper()
			ok, err := s.ClaimInbox(ctx, e, at, time.Minute)
			if err != nil || ok != want {
				t.Fatalf("ClaimInbox(%s %v) = %v, %v; want %v", e.ID, e.Keys, ok, err, want)
			}
		}
		known := func(keys []string, at time.Time, want bool) {
			t.Helper()
			ok, err := s.KnownInbox(ctx, keys, at)
			if err != nil || ok != want {
				t.Fatalf("KnownInbox(%v) = %v, %v; want %v", keys, ok, err, want)
			}
		}
		e0 := inboxEntry(0, "uuid-a", "hash-a")
		known(e0.Keys, base, false)
		claim(e0, base, true)
		claim(e0, base.Add(time.Second), true) // the same entry again
		known([]string{"hash-a"}, base.Add(time.Second), true)
		known([]string{"nope"}, base, false)
		known(nil, base, false)
		claim(inboxEntry(1, "uuid-a"), base.Add(time.Second), false)           // same uuid, new body
		claim(inboxEntry(2, "uuid-b", "hash-a"), base.Add(time.Second), false) // new uuid, same body
		claim(inboxEntry(3, "uuid-b"), base.Add(time.Second), true)            // refused ones stored nothing
		claim(inboxEntry(4), base, true)                                       // no keys: nothing to clash
		if n, err := s.PruneInbox(ctx, base.Add(30*time.Second)); err != nil || n != 0 {
			t.Fatalf("PruneInbox before expiry removed %d (%v)", n, err)
		}
		// Past the expiry the keys no longer block, pruned or not.
		later := base.Add(2 * time.Minute)
		known([]string{"uuid-a"}, later, false)
		claim(inboxEntry(5, "uuid-a"), later, true)
		// Left: hash-a (base+1s+1m) and uuid-b (base+1s+1m) ran out; uuid-a
		// was claimed anew until later+1m.
		if n, err := s.PruneInbox(ctx, later.Add(30*time.Second)); err != nil || n != 2 {
			t.Fatalf("PruneInbox = %d, %v; want the 2 expired keys", n, err)
		}
		claim(inboxEntry(6, "uuid-a"), later.Add(30*time.Second), false)
	})
}

// runSharedInboxTests races two stores over the same deliveries.
func runSharedInboxTests(t *testing.T, pair func(t *testing.T) (core.Store, core.Store)) {
	// Ensure one delivery stored twice (two replicas behind a load
	// balancer, each getting RealtimeKit's retry) and claimed by many
	// entries on both stores at once is handed to exactly one of them.
	t.Run("InboxClaimOnceAcrossStores", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		var won atomic.Int32
		race(t, 2*sharedWriters, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			e := inboxEntry(i, "uuid-shared", fmt.Sprintf("hash-%d", i%3))
			if err := s.AcceptInbox(t.Context(), []*core.InboxEntry{e}); err != nil {
				return err
			}
			ok, err := s.ClaimInbox(t.Context(), e, base, time.Hour)
			if err != nil {
				return err
			}
			if ok {
				won.Add(1)
			}
			return nil
		})
		if n := won.Load(); n != 1 {
			t.Fatalf("%d entries claimed the same delivery, want 1", n)
		}
		syncStores(t, a, b)
		ga, _ := a.PendingInbox(t.Context(), 1000)
		gb, _ := b.PendingInbox(t.Context(), 1000)
		if len(ga) != 2*sharedWriters || len(gb) != 2*sharedWriters {
			t.Fatalf("queues hold %d and %d entries, want %d each", len(ga), len(gb), 2*sharedWriters)
		}
	})
}
