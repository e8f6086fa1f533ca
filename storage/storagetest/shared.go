package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// sharedWriters is how many goroutines write through each of the two
// stores at once: with two clients that is a hundred racers, the load of
// a busy workspace on several replicas.
const sharedWriters = 50

// Syncer is implemented by a store whose reads may trail another
// client's writes for a moment, such as storage/etcd with its watch-fed read
// cache: Sync returns once every write committed anywhere before the call
// is visible to the store's reads. RunShared calls it, when a store has it,
// before reading through one store what the other wrote; a store without it
// must show such writes at once.
type Syncer interface {
	Sync(ctx context.Context) error
}

// syncStores calls Sync on each store that has it.
func syncStores(t *testing.T, stores ...core.Store) {
	t.Helper()
	for _, s := range stores {
		if sy, ok := s.(Syncer); ok {
			if err := sy.Sync(t.Context()); err != nil {
				t.Fatalf("Sync: %v", err)
			}
		}
	}
}

// RunShared checks what several replicas need from one backend: two stores
// on the same data (two clients of one cluster, or one embedded store
// handed out twice) racing each other. open returns both; they may be the
// same value. The suite closes each store once. Before a store reads what
// the other wrote, the suite lets it catch up (see Syncer). The cases run in
// parallel, as Run's do, each on a pair of its own.
func RunShared(t *testing.T, open func(t *testing.T) (a, b core.Store)) {
	t.Helper()
	pair := func(t *testing.T) (core.Store, core.Store) {
		t.Helper()
		a, b := open(t)
		t.Cleanup(func() {
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if b != a {
				if err := b.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
		})
		return a, b
	}

	// Ensure concurrent creates through both stores get the ids 1..N, each
	// once, and that every meeting is stored as created.
	t.Run("ConcurrentCreatesAreDenseAndUnique", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		n := 2 * sharedWriters
		got := make([]string, n)
		race(t, n, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			m := newMeeting(wsA, "C1", base, time.Hour)
			m.Title = fmt.Sprintf("racer %d", i)
			if err := s.CreateMeeting(t.Context(), m); err != nil {
				return fmt.Errorf("CreateMeeting %d: %w", i, err)
			}
			got[i] = m.ID
			return nil
		})
		seen := map[string]int{}
		for i, id := range got {
			if j, dup := seen[id]; dup {
				t.Fatalf("racers %d and %d both got id %q", j, i, id)
			}
			seen[id] = i
		}
		syncStores(t, a, b)
		for want := 1; want <= n; want++ {
			i, ok := seen[strconv.Itoa(want)]
			if !ok {
				t.Fatalf("id %d was never handed out (ids %q): not dense", want, got)
			}
			s := [2]core.Store{b, a}[i%2] // read through the other store
			if m := find(t, s, wsA, strconv.Itoa(want)); m.Title != fmt.Sprintf("racer %d", i) || m.Version != 1 {
				t.Fatalf("meeting %d = %q v%d, want racer %d's, v1", want, m.Title, m.Version, i)
			}
		}
		list, err := b.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA})
		if err != nil || len(list) != n {
			t.Fatalf("FindMeetings after the race: %d meetings, %v; want %d", len(list), err, n)
		}
		if id := create(t, a, newMeeting(wsB, "C1", base, time.Hour)).ID; id != "1" {
			t.Fatalf("first id of another workspace after the race = %q, want 1", id)
		}
	})

	// Ensure concurrent updates of one meeting through both stores each see
	// the one before: none is lost and Version counts every one.
	t.Run("ConcurrentUpdatesLoseNothing", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		m := newMeeting(wsA, "C1", base, time.Hour)
		m.Invitees, m.RoomStatus = nil, core.RoomInactive
		create(t, a, m)
		n := 2 * sharedWriters
		race(t, n, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			_, err := s.UpdateMeeting(t.Context(), wsA, m.ID, func(m *core.Meeting) error {
				m.Invitees = append(m.Invitees, fmt.Sprintf("U%03d", i))
				if i == n-1 {
					m.RoomStatus = core.RoomActive
				}
				return nil
			})
			return err
		})
		syncStores(t, b)
		got := find(t, b, wsA, m.ID)
		if got.Version != int64(n+1) || len(got.Invitees) != n {
			t.Fatalf("after %d updates: version %d, %d invitees; want version %d, %d", n, got.Version, len(got.Invitees), n+1, n)
		}
		slices.Sort(got.Invitees)
		for i, u := range got.Invitees {
			if u != fmt.Sprintf("U%03d", i) {
				t.Fatalf("invitee %d = %q: an update was lost or doubled (%q)", i, u, got.Invitees)
			}
		}
		active, err := a.FindActiveRooms(t.Context())
		if err != nil {
			t.Fatalf("FindActiveRooms: %v", err)
		}
		sameIDs(t, "active rooms after the race", active, m.ID)
	})

	// Ensure concurrent attendance updates of one occurrence through both
	// stores each see the one before: every peer is kept once.
	t.Run("ConcurrentAttendanceLosesNothing", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		m := create(t, a, newMeeting(wsA, "C1", base, time.Hour))
		syncStores(t, b)
		n := 2 * sharedWriters
		race(t, n, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			_, err := s.UpdateAttendance(t.Context(), wsA, m.ID, base, func(at *core.Attendance) error {
				at.Peers = append(at.Peers, core.Presence{PeerID: fmt.Sprintf("p%03d", i), CustomID: "c", JoinedAt: base})
				return nil
			})
			return err
		})
		syncStores(t, a, b)
		for _, s := range []core.Store{a, b} {
			list, err := s.ListAttendance(t.Context(), wsA, m.ID)
			if err != nil || len(list) != 1 || len(list[0].Peers) != n {
				t.Fatalf("after %d racing updates: %d records, %v", n, len(list), err)
			}
			seen := map[string]bool{}
			for _, p := range list[0].Peers {
				if seen[p.PeerID] {
					t.Fatalf("peer %s stored twice", p.PeerID)
				}
				seen[p.PeerID] = true
			}
		}
	})

	// Ensure a key is claimed exactly once across both stores, and exactly
	// once again after it ran out.
	t.Run("OnceClaimedExactlyOnce", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		for round, now := range []time.Time{base, base.Add(time.Minute)} {
			var mu sync.Mutex
			var winners []int
			race(t, 2*sharedWriters, func(i int) error {
				s := [2]core.Store{a, b}[i%2]
				fresh, err := s.Once(t.Context(), "slack:event:Ev42", now, 30*time.Second)
				if fresh {
					mu.Lock()
					winners = append(winners, i)
					mu.Unlock()
				}
				return err
			})
			if len(winners) != 1 {
				t.Fatalf("round %d: %d callers claimed the key (%v), want exactly 1", round, len(winners), winners)
			}
		}
	})

	// Ensure racing creators of a secret all get the bytes stored first, and
	// later readers through either store too.
	t.Run("SecretCreatedOnce", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		n := 2 * sharedWriters
		got := make([][]byte, n)
		race(t, n, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			v, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) {
				return fmt.Appendf(nil, "secret-of-racer-%03d", i), nil
			})
			got[i] = v
			return err
		})
		for i, v := range got {
			if !bytes.Equal(v, got[0]) {
				t.Fatalf("racer %d got secret %q, racer 0 got %q", i, v, got[0])
			}
		}
		if !bytes.HasPrefix(got[0], []byte("secret-of-racer-")) {
			t.Fatalf("secret %q is none of the generated ones", got[0])
		}
		for _, s := range []core.Store{a, b} {
			v, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return []byte("later"), nil })
			if err != nil || !bytes.Equal(v, got[0]) {
				t.Fatalf("Secret read later = %q, %v; want %q", v, err, got[0])
			}
		}
	})

	// Ensure concurrent settings changes through both stores all land.
	t.Run("UpdateWorkspaceFromBoth", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		n := 2 * sharedWriters
		race(t, n, func(i int) error {
			s := [2]core.Store{a, b}[i%2]
			_, err := s.UpdateWorkspace(t.Context(), wsA, func(w *core.Workspace) error {
				w.Admins = append(w.Admins, fmt.Sprintf("A%03d", i))
				return nil
			})
			return err
		})
		syncStores(t, a)
		w, err := a.FindWorkspace(t.Context(), wsA)
		if err != nil {
			t.Fatalf("FindWorkspace: %v", err)
		}
		slices.Sort(w.Admins)
		if len(w.Admins) != n {
			t.Fatalf("%d admins after %d updates: %q", len(w.Admins), n, w.Admins)
		}
		for i, adm := range w.Admins {
			if adm != fmt.Sprintf("A%03d", i) {
				t.Fatalf("admin %d = %q: an update was lost or doubled", i, adm)
			}
		}
	})

	// Ensure a delete through one store is seen by the other once it caught
	// up (at once, for a store without Sync): its participants are gone, and
	// a late join cannot put one back even before that.
	t.Run("DeleteSeenByTheOther", func(t *testing.T) {
		t.Parallel()
		a, b := pair(t)
		m := create(t, a, newMeeting(wsA, "C1", base, time.Hour))
		putParticipant(t, b, newParticipant(wsA, m.ID, "U1"))
		if err := a.DeleteMeeting(t.Context(), wsA, m.ID); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		wantCode(t, b.PutParticipant(t.Context(), newParticipant(wsA, m.ID, "U2")), core.ENOTFOUND,
			"PutParticipant after the other store deleted the meeting")
		syncStores(t, b)
		_, err := b.FindParticipant(t.Context(), wsA, m.ID, "U1")
		wantCode(t, err, core.ENOTFOUND, "participant of a meeting deleted through the other store")
		_, err = b.FindMeetingByID(t.Context(), wsA, m.ID)
		wantCode(t, err, core.ENOTFOUND, "meeting deleted through the other store")
	})
	runSharedInboxTests(t, pair)
}

// race runs fn(0..n-1) in n goroutines released together, and fails the
// test with the first error.
func race(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- fn(i)
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
