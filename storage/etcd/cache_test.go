package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/connectivity"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

var wsC = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "TC"}

// pairOn opens two clients on one fresh prefix, as two replicas are.
func pairOn(t *testing.T) (a, b *etcd.DB) {
	t.Helper()
	p := etcdtest.Prefix(t)
	a, b = open(t, p), open(t, p)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

func mustSync(t *testing.T, dbs ...*etcd.DB) {
	t.Helper()
	for _, db := range dbs {
		if err := db.Sync(t.Context()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	}
}

func newCached(t *testing.T, db *etcd.DB) *core.Meeting {
	t.Helper()
	m := &core.Meeting{Workspace: wsC, Channel: "C1", Title: "standup", Organizer: "U1",
		Start: time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC), Duration: time.Hour, State: core.StateScheduled,
		Invitees: []string{"U2"}}
	if err := db.CreateMeeting(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func title(t *testing.T, db *etcd.DB, id string) string {
	t.Helper()
	m, err := db.FindMeetingByID(t.Context(), wsC, id)
	if err != nil {
		t.Fatalf("FindMeetingByID: %v", err)
	}
	return m.Title
}

func rename(t *testing.T, db *etcd.DB, id, to string) {
	t.Helper()
	if _, err := db.UpdateMeeting(t.Context(), wsC, id, func(m *core.Meeting) error { m.Title = to; return nil }); err != nil {
		t.Fatal(err)
	}
}

// wantHit runs read and fails unless the cache answered it.
func wantHit(t *testing.T, db *etcd.DB, what string, read func()) {
	t.Helper()
	before := db.CacheHits()
	read()
	if db.CacheHits() == before {
		t.Fatalf("%s went to etcd; want it answered from the read cache", what)
	}
}

// Ensure a replica reads its own writes at once, warm reads cost no round
// trip, and a write through another client shows once the reader synced,
// for every cached kind.
func TestCacheSeesOtherClientAfterSync(t *testing.T) {
	t.Parallel()
	a, b := pairOn(t)
	ctx := t.Context()
	mustSync(t, a, b) // both watches run
	m := newCached(t, a)
	wantHit(t, a, "a read of a meeting this replica just created", func() {
		if got := title(t, a, m.ID); got != "standup" {
			t.Fatalf("title = %q", got)
		}
	})
	if got := title(t, b, m.ID); got != "standup" { // fills b's cache
		t.Fatalf("title on b = %q", got)
	}
	wantHit(t, b, "a warm read", func() { title(t, b, m.ID) })

	rename(t, a, m.ID, "renamed")
	wantHit(t, a, "a read after this replica's own update", func() {
		if got := title(t, a, m.ID); got != "renamed" {
			t.Fatalf("own update read back as %q", got)
		}
	})
	mustSync(t, b)
	wantHit(t, b, "a read of a record the watch updated", func() {
		if got := title(t, b, m.ID); got != "renamed" {
			t.Fatalf("title on b after Sync = %q, want the other client's update", got)
		}
	})

	// Absent records are cached too, and a create elsewhere replaces them.
	ukey := core.UserKey{Workspace: wsC, UserID: "U7"}
	if _, err := b.FindUser(ctx, ukey); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("FindUser of nobody: %v", err)
	}
	wantHit(t, b, "a second read of an absent user", func() { _, _ = b.FindUser(ctx, ukey) })
	if err := a.PutUser(ctx, &core.User{Key: ukey, DisplayName: "Ana", TimeZone: "Europe/Paris"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindWorkspace(ctx, wsC); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("FindWorkspace before any settings: %v", err)
	}
	if _, err := a.UpdateWorkspace(ctx, wsC, func(w *core.Workspace) error { w.Admins = []string{"U1"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindParticipant(ctx, wsC, m.ID, "U2"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("FindParticipant before the join: %v", err)
	}
	if err := a.PutParticipant(ctx, &core.Participant{Meeting: m.ID, User: core.UserKey{Workspace: wsC, UserID: "U2"},
		RemoteID: "p1", Token: "t1", IssuedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b)
	wantHit(t, b, "reads of records created elsewhere after absent reads", func() {
		if u, err := b.FindUser(ctx, ukey); err != nil || u.DisplayName != "Ana" {
			t.Fatalf("FindUser on b after Sync = %+v, %v", u, err)
		}
		if w, err := b.FindWorkspace(ctx, wsC); err != nil || len(w.Admins) != 1 {
			t.Fatalf("FindWorkspace on b after Sync = %+v, %v", w, err)
		}
		if p, err := b.FindParticipant(ctx, wsC, m.ID, "U2"); err != nil || p.Token != "t1" {
			t.Fatalf("FindParticipant on b after Sync = %+v, %v", p, err)
		}
	})
}

// Ensure deletes reach the cache: a meeting deleted elsewhere (with its
// participants, by one ranged delete) reads as gone after Sync, and at once
// on the replica that deleted it.
func TestCacheSeesDeletes(t *testing.T) {
	t.Parallel()
	a, b := pairOn(t)
	ctx := t.Context()
	mustSync(t, a, b)
	m := newCached(t, a)
	p := &core.Participant{Meeting: m.ID, User: core.UserKey{Workspace: wsC, UserID: "U2"}, RemoteID: "p1", Token: "t1", IssuedAt: time.Now()}
	if err := b.PutParticipant(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*etcd.DB{a, b} { // both warm
		title(t, db, m.ID)
		if _, err := db.FindParticipant(ctx, wsC, m.ID, "U2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DeleteMeeting(ctx, wsC, m.ID); err != nil {
		t.Fatal(err)
	}
	check := func(db *etcd.DB, who string) {
		t.Helper()
		wantHit(t, db, who+"'s reads of deleted records", func() {
			if _, err := db.FindMeetingByID(ctx, wsC, m.ID); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("%s: meeting after delete: %v", who, err)
			}
			if _, err := db.FindParticipant(ctx, wsC, m.ID, "U2"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("%s: participant after delete: %v", who, err)
			}
		})
	}
	check(a, "the deleting replica") // no Sync: its own write
	mustSync(t, b)
	check(b, "the other replica")

	if err := a.PutInstallation(ctx, &core.Installation{Workspace: wsC, SealedToken: []byte("s"), InstalledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindInstallation(ctx, wsC); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteInstallation(ctx, wsC); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b)
	if _, err := b.FindInstallation(ctx, wsC); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("installation deleted elsewhere still reads as %v", err)
	}
}

// Ensure a watch that broke, or that starts behind a compaction, empties
// the cache, that the cache does not serve meanwhile, and that a change
// made while it was down is read afterwards, not the value cached before.
// Not parallel: compaction is server-wide, and a watch of another test
// starting meanwhile would fall behind it and restart (this package's
// parallel tests run only after its sequential ones, so none overlaps).
func TestCacheClearsOnBrokenWatchAndCompaction(t *testing.T) {
	a, b := pairOn(t)
	ctx := t.Context()
	mustSync(t, a, b)
	m := newCached(t, a)
	title(t, b, m.ID)
	wantHit(t, b, "a warm read", func() { title(t, b, m.ID) })

	// A compacted revision for the next watch to start at.
	resp, err := b.Client().Put(ctx, b.Prefix()+"scratch", "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Client().Put(ctx, b.Prefix()+"scratch", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Client().Compact(ctx, resp.Header.Revision+1); err != nil {
		t.Fatal(err)
	}

	ended := make(chan error, 4)
	b.OnCacheRestart(resp.Header.Revision, func(err error) {
		if len(ended) == 0 { // the first restart: change the record while b's watch is down
			if b.CacheLen() != 0 {
				t.Errorf("cache holds %d records after its watch broke", b.CacheLen())
			}
			if _, err := b.FindMeetingByID(ctx, wsC, m.ID); err != nil {
				t.Errorf("read while the watch is down: %v", err)
			}
			if b.CacheLen() != 0 {
				t.Errorf("a read while the watch is down filled the cache")
			}
			if _, err := a.UpdateMeeting(ctx, wsC, m.ID, func(m *core.Meeting) error {
				m.Title = "changed while b's watch was down"
				return nil
			}); err != nil {
				t.Errorf("update while b's watch is down: %v", err)
			}
		}
		ended <- err
	})
	b.BreakCache()
	if err := <-ended; err == nil {
		t.Fatal("the broken watch ended without an error")
	}
	if err := <-ended; !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("watch from a compacted revision ended with %v, want ErrCompacted", err)
	}
	mustSync(t, b)
	if got := title(t, b, m.ID); got != "changed while b's watch was down" {
		t.Fatalf("after the watch resumed b reads %q: a value cached before the break", got)
	}
	wantHit(t, b, "a read once the watch runs again", func() { title(t, b, m.ID) })
	rename(t, a, m.ID, "after")
	mustSync(t, b)
	if got := title(t, b, m.ID); got != "after" {
		t.Fatalf("the new watch missed an update: %q", got)
	}
}

// Ensure a watch that goes silent (a stalled stream) is dropped: on an
// injected clock on which an hour passes between any two readings, nothing
// the watch hears is recent enough, so the staleness check ends it and the
// cache empties; the next watch, on the wall clock, serves again.
func TestCacheDropsSilentWatch(t *testing.T) {
	t.Parallel()
	_, b := pairOn(t)
	mustSync(t, b)
	m := newCached(t, b)
	title(t, b, m.ID)
	var mu sync.Mutex
	racing := false
	ahead := time.Duration(0)
	b.SetCacheClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if racing {
			ahead += time.Hour
		}
		return time.Now().Add(ahead)
	})
	ended := make(chan error, 8)
	b.OnCacheRestart(0, func(err error) {
		mu.Lock()
		racing, ahead = false, 0 // the next watch runs on the wall clock
		mu.Unlock()
		ended <- err
	})
	mu.Lock()
	racing = true
	mu.Unlock()
	if err := <-ended; err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("silent watch ended with %v, want the staleness error", err)
	}
	if b.CacheLen() != 0 {
		t.Fatalf("cache holds %d records after a stale watch", b.CacheLen())
	}
	mustSync(t, b)
	if got := title(t, b, m.ID); got != "standup" {
		t.Fatalf("title after the restart = %q", got)
	}
}

// Ensure the cache stays within its entry limit however many records are
// read, and every read still returns the right record.
func TestCacheBounded(t *testing.T) {
	t.Parallel()
	a, b := pairOn(t)
	ctx := t.Context()
	b.SetCacheLimits(10, 1<<20)
	mustSync(t, b)
	for i := range 50 {
		k := core.UserKey{Workspace: wsC, UserID: fmt.Sprintf("U%02d", i)}
		if err := a.PutUser(ctx, &core.User{Key: k, DisplayName: k.UserID, TimeZone: "UTC"}); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		for i := range 50 {
			k := core.UserKey{Workspace: wsC, UserID: fmt.Sprintf("U%02d", i)}
			u, err := b.FindUser(ctx, k)
			if err != nil || u.DisplayName != k.UserID {
				t.Fatalf("round %d: FindUser %s = %+v, %v", round, k.UserID, u, err)
			}
			if n := b.CacheLen(); n > 10 {
				t.Fatalf("cache holds %d records, limit 10", n)
			}
		}
	}
}

// Ensure cached reads are copies: changing what a read returned does not
// change what the next read returns.
func TestCacheReturnsCopies(t *testing.T) {
	t.Parallel()
	_, b := pairOn(t)
	ctx := t.Context()
	mustSync(t, b)
	m := newCached(t, b)
	got, err := b.FindMeetingByID(ctx, wsC, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Title, got.Invitees[0] = "scribbled", "U666"
	again, err := b.FindMeetingByID(ctx, wsC, m.ID)
	if err != nil || again.Title != "standup" || again.Invitees[0] != "U2" {
		t.Fatalf("second read = %q %q, %v: the first caller's changes leaked into the cache", again.Title, again.Invitees, err)
	}
	s, err := b.Secret(ctx, "join-link", func() ([]byte, error) { return []byte("k1"), nil })
	if err != nil {
		t.Fatal(err)
	}
	s[0] = 'X'
	wantHit(t, b, "a warm secret read", func() {
		if s2, err := b.Secret(ctx, "join-link", nil); err != nil || string(s2) != "k1" {
			t.Fatalf("secret read again = %q, %v", s2, err)
		}
	})
}

// Ensure readers racing an updater on another client never see a value go
// backwards, and see the last one after Sync (run with -race).
func TestCacheConcurrentReadersAndWriter(t *testing.T) {
	t.Parallel()
	a, b := pairOn(t)
	ctx := t.Context()
	mustSync(t, a, b)
	m := newCached(t, a)
	const updates = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	written := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(0)
			for {
				select {
				case <-written:
					return
				default:
				}
				got, err := b.FindMeetingByID(ctx, wsC, m.ID)
				if err != nil {
					errs <- err
					return
				}
				if got.Version < last {
					errs <- fmt.Errorf("version went back from %d to %d", last, got.Version)
					return
				}
				last = got.Version
			}
		}()
	}
	for i := range updates {
		rename(t, a, m.ID, fmt.Sprintf("v%d", i+2))
	}
	close(written)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustSync(t, b)
	if got := title(t, b, m.ID); got != fmt.Sprintf("v%d", updates+1) {
		t.Fatalf("final title %q", got)
	}
}

// Ensure a replica whose cluster went away does not answer from its cache
// (the connection is down, so nothing says the records are current), and
// serves from it again once the cluster is back.
func TestCacheNotServedWhileDisconnected(t *testing.T) {
	t.Parallel()
	c := etcdtest.StartCluster(t, 1)
	db, err := etcd.Open(t.Context(), etcd.WithReconnectPause(etcd.Options{Endpoints: c.Endpoints(), Prefix: etcdtest.Prefix(t),
		DialTimeout: time.Second, RequestTimeout: 300 * time.Millisecond}, reconnectPause))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustSync(t, db)
	m := newCached(t, db)
	wantHit(t, db, "a warm read", func() { title(t, db, m.ID) })
	c.Members[0].Stop()
	cc := db.Client().ActiveConnection()
	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for cc.GetState() == connectivity.Ready && cc.WaitForStateChange(wctx, connectivity.Ready) {
	}
	_, err = db.FindMeetingByID(context.Background(), wsC, m.ID)
	wantUnavailable(t, "FindMeetingByID from a warm cache", err)
	if err := c.Members[0].Restart(); err != nil {
		t.Fatal(err)
	}
	for i := 0; db.Sync(context.Background()) != nil; i++ {
		if i == 100 {
			t.Fatal("cache did not catch up after the cluster came back")
		}
	}
	if got := title(t, db, m.ID); got != "standup" {
		t.Fatalf("title after recovery = %q", got)
	}
	wantHit(t, db, "a read after recovery", func() { title(t, db, m.ID) })
}

// Ensure NoReadCache reads every record from etcd and Sync is a no-op.
func TestNoReadCache(t *testing.T) {
	t.Parallel()
	p := etcdtest.Prefix(t)
	a := open(t, p)
	defer a.Close()
	b, err := etcd.Open(t.Context(), etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: p, NoReadCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := newCached(t, a)
	title(t, b, m.ID)
	rename(t, a, m.ID, "renamed")
	if got := title(t, b, m.ID); got != "renamed" { // no Sync needed
		t.Fatalf("uncached read = %q", got)
	}
	if err := b.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkWarmPointReads measures the three reads of a warm join link
// (meeting, workspace settings, participant) with the read cache and
// without it, on the shared test server.
//
//	go test -run '^$' -bench WarmPointReads ./storage/etcd/
func BenchmarkWarmPointReads(b *testing.B) {
	for _, name := range []string{"cache", "nocache"} {
		b.Run(name, func(b *testing.B) {
			db, err := etcd.Open(b.Context(), etcd.Options{Endpoints: etcdtest.Shared(b), Prefix: etcdtest.Prefix(b), NoReadCache: name == "nocache"})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := b.Context()
			if err := db.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			m := &core.Meeting{Workspace: wsC, Channel: "C1", Title: "standup", Organizer: "U1",
				Start: time.Now(), Duration: time.Hour, State: core.StateScheduled}
			if err := db.CreateMeeting(ctx, m); err != nil {
				b.Fatal(err)
			}
			if err := db.PutParticipant(ctx, &core.Participant{Meeting: m.ID, User: core.UserKey{Workspace: wsC, UserID: "U1"},
				RemoteID: "p1", Token: "t1", IssuedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := db.FindMeetingByID(ctx, wsC, m.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := db.FindWorkspace(ctx, wsC); core.ErrorCode(err) != core.ENOTFOUND {
					b.Fatal(err)
				}
				if _, err := db.FindParticipant(ctx, wsC, m.ID, "U1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
