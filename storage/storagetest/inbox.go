package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// inboxEntry returns an entry received at base+i seconds whose body holds
// every byte value, so a backend that treats it as text fails.
func inboxEntry(i int) *core.InboxEntry {
	body := []byte(fmt.Sprintf(`{"event":"meeting.started","n":%d}`, i))
	body = append(body, '\n', 0, 0xff, '\n')
	return &core.InboxEntry{ID: fmt.Sprintf("delivery-%d", i), Received: base.Add(time.Duration(i) * time.Second), Body: body}
}

// accept1 offers one entry.
func accept1(ctx context.Context, s core.Store, e *core.InboxEntry, keys []string, now time.Time, ttl time.Duration) (bool, error) {
	a := &core.InboxAccept{Entry: e, Keys: keys}
	err := s.AcceptInbox(ctx, []*core.InboxAccept{a}, now, ttl)
	return a.Fresh, err
}

func runInboxTests(t *testing.T, fresh func(t *testing.T) core.Store) {
	// Ensure accepted entries come back whole and oldest first, that done
	// ones leave the queue, and that attempts are kept.
	t.Run("InboxQueueRoundTrip", func(t *testing.T) {
		s := fresh(t)
		ctx := t.Context()
		if got, err := s.PendingInbox(ctx, 10); err != nil || len(got) != 0 {
			t.Fatalf("PendingInbox on empty store: %v, %v", got, err)
		}
		// Accept out of receive order; the queue is by receive time.
		for _, i := range []int{2, 0, 1} {
			e := inboxEntry(i)
			ok, err := accept1(ctx, s, e, []string{fmt.Sprintf("uuid-%d", i)}, base, time.Hour)
			if err != nil || !ok {
				t.Fatalf("AcceptInbox(%d) = %v, %v; want true", i, ok, err)
			}
			e.Body[0] = 'X' // the store must have copied it
		}
		got, err := s.PendingInbox(ctx, 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("PendingInbox = %d entries, %v; want 3", len(got), err)
		}
		for i, e := range got {
			want := inboxEntry(i)
			if e.ID != want.ID || !e.Received.Equal(want.Received) || !bytes.Equal(e.Body, want.Body) || e.Attempts != 0 {
				t.Fatalf("entry %d = %+v, want %+v", i, e, want)
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
	})

	// Ensure a delivery is refused again by its id or by any one of its
	// keys, also after it was done, until the keys expire and are pruned.
	t.Run("InboxDedupesUntilKeysExpire", func(t *testing.T) {
		s := fresh(t)
		ctx := t.Context()
		e := inboxEntry(0)
		if ok, err := accept1(ctx, s, e, []string{"uuid-a", "hash-a"}, base, time.Minute); err != nil || !ok {
			t.Fatalf("first AcceptInbox = %v, %v", ok, err)
		}
		dupes := []struct {
			e    *core.InboxEntry
			keys []string
		}{
			{inboxEntry(0), []string{"uuid-other"}},       // same id
			{inboxEntry(1), []string{"uuid-a"}},           // same uuid, new body
			{inboxEntry(2), []string{"uuid-b", "hash-a"}}, // new uuid, same body hash
		}
		for i, d := range dupes {
			if ok, err := accept1(ctx, s, d.e, d.keys, base.Add(time.Second), time.Minute); err != nil || ok {
				t.Fatalf("duplicate %d accepted: %v, %v", i, ok, err)
			}
		}
		if got, _ := s.PendingInbox(ctx, 10); len(got) != 1 {
			t.Fatalf("duplicates were queued: %d entries", len(got))
		}
		if err := s.DoneInbox(ctx, e); err != nil {
			t.Fatal(err)
		}
		if ok, _ := accept1(ctx, s, inboxEntry(3), []string{"hash-a"}, base.Add(30*time.Second), time.Minute); ok {
			t.Fatal("a done delivery's key was forgotten before it expired")
		}
		if n, err := s.PruneInbox(ctx, base.Add(30*time.Second)); err != nil || n != 0 {
			t.Fatalf("PruneInbox before expiry removed %d (%v)", n, err)
		}
		// Past the expiry the keys no longer block, pruned or not.
		later := base.Add(2 * time.Minute)
		if ok, err := accept1(ctx, s, inboxEntry(4), []string{"uuid-a"}, later, time.Minute); err != nil || !ok {
			t.Fatalf("expired key still blocks: %v, %v", ok, err)
		}
		// Left: id:delivery-0 and hash-a, which ran out at base+1m; uuid-a,
		// renewed until later+1m; id:delivery-4.
		if n, err := s.PruneInbox(ctx, later.Add(30*time.Second)); err != nil || n != 2 {
			t.Fatalf("PruneInbox = %d, %v; want the 2 expired keys", n, err)
		}
		if ok, _ := accept1(ctx, s, inboxEntry(5), []string{"uuid-a"}, later.Add(30*time.Second), time.Minute); ok {
			t.Fatal("PruneInbox dropped a live key")
		}
		if _, err := accept1(ctx, s, &core.InboxEntry{ID: "", Received: base}, nil, base, time.Minute); err == nil {
			t.Fatal("AcceptInbox took an entry without an id")
		}
	})
}

func runInboxBatchTests(t *testing.T, fresh func(t *testing.T) core.Store) {
	// Ensure a batch stores its new entries, refuses the known ones, and
	// within the batch lets the first of two sharing a key win.
	t.Run("InboxBatchAccept", func(t *testing.T) {
		s := fresh(t)
		ctx := t.Context()
		if ok, err := accept1(ctx, s, inboxEntry(0), []string{"old"}, base, time.Hour); err != nil || !ok {
			t.Fatalf("seed: %v, %v", ok, err)
		}
		batch := []*core.InboxAccept{
			{Entry: inboxEntry(1), Keys: []string{"a"}},
			{Entry: inboxEntry(2), Keys: []string{"old"}},    // known before
			{Entry: inboxEntry(3), Keys: []string{"b", "a"}}, // shares a with the first
			{Entry: inboxEntry(4), Keys: []string{"c", "c"}}, // a key twice
			{Entry: inboxEntry(1), Keys: []string{"d"}},      // same id as the first
			{Entry: inboxEntry(5), Keys: nil},                // id only
		}
		if err := s.AcceptInbox(ctx, batch, base, time.Hour); err != nil {
			t.Fatalf("AcceptInbox: %v", err)
		}
		want := []bool{true, false, false, true, false, true}
		for i, a := range batch {
			if a.Fresh != want[i] {
				t.Fatalf("entry %d Fresh = %v, want %v", i, a.Fresh, want[i])
			}
		}
		got, err := s.PendingInbox(ctx, 10)
		if err != nil || len(got) != 4 {
			t.Fatalf("PendingInbox = %d entries, %v; want 4", len(got), err)
		}
		if ok, _ := accept1(ctx, s, inboxEntry(9), []string{"b"}, base, time.Hour); !ok {
			t.Fatal("a refused entry's keys were stored")
		}
	})
}

// runSharedInboxTests races two stores over the same deliveries.
func runSharedInboxTests(t *testing.T, pair func(t *testing.T) (core.Store, core.Store)) {
	// Ensure one delivery handed to many callers on both stores at once is
	// accepted exactly once (two replicas behind a load balancer, each
	// getting RealtimeKit's retry).
	t.Run("InboxAcceptOnceAcrossStores", func(t *testing.T) {
		a, b := pair(t)
		var accepted atomic.Int32
		race(t, 2*sharedWriters, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			e := inboxEntry(i) // distinct ids: the shared key decides
			ok, err := accept1(t.Context(), s, e, []string{"uuid-shared"}, base, time.Hour)
			if err != nil {
				return err
			}
			if ok {
				accepted.Add(1)
			}
			return nil
		})
		if n := accepted.Load(); n != 1 {
			t.Fatalf("%d callers accepted the same delivery, want 1", n)
		}
		syncStores(t, a, b)
		ga, _ := a.PendingInbox(t.Context(), 1000)
		gb, _ := b.PendingInbox(t.Context(), 1000)
		if len(ga) != 1 || len(gb) != 1 || ga[0].ID != gb[0].ID {
			t.Fatalf("queues differ or hold duplicates: %d and %d entries", len(ga), len(gb))
		}
	})
}
