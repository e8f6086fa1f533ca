package etcd_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

var wsU = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "TU"}

// reconnectPause is how often the clients of the tests that restart their
// server retry it, instead of gRPC's backoff of a second and more.
const reconnectPause = 20 * time.Millisecond

func plainMeeting(start time.Time) *core.Meeting {
	return &core.Meeting{Workspace: wsU, Channel: "C1", Title: "standup", Organizer: "U1",
		Start: start, Duration: time.Hour, State: core.StatePending}
}

// wantUnavailable fails unless err is EUNAVAILABLE saying UnavailableMessage.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if core.ErrorCode(err) != core.EUNAVAILABLE || core.ErrorMessage(err) != etcd.UnavailableMessage {
		t.Fatalf("%s with the cluster down: %v (code %q), want EUNAVAILABLE with %q",
			what, err, core.ErrorCode(err), etcd.UnavailableMessage)
	}
}

// Ensure a store whose cluster is down answers every call with
// EUNAVAILABLE and the plain sentence, within its request timeout rather
// than hanging; writes nothing half; and serves again by itself once the
// cluster is back. The calls made while it is down run at once, each
// waiting out its own timeout, so the outage costs one timeout, not one
// per call.
func TestUnavailableThenRecovers(t *testing.T) {
	t.Parallel()
	c := etcdtest.StartCluster(t, 1)
	db, err := etcd.Open(t.Context(), etcd.WithReconnectPause(etcd.Options{
		Endpoints: c.Endpoints(), Prefix: etcdtest.Prefix(t),
		DialTimeout: time.Second, RequestTimeout: 300 * time.Millisecond,
	}, reconnectPause))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The caller's context has no deadline: only the store's own timeout
	// can end the calls below.
	ctx := context.Background()
	start := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	m := plainMeeting(start)
	if err := db.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Secret(ctx, "join-link", func() ([]byte, error) { return []byte("k1"), nil }); err != nil {
		t.Fatal(err)
	}

	c.Members[0].Stop()
	down := map[string]func() error{
		"CreateMeeting": func() error { return db.CreateMeeting(ctx, plainMeeting(start.Add(time.Hour))) },
		"UpdateMeeting": func() error {
			_, err := db.UpdateMeeting(ctx, wsU, m.ID, func(m *core.Meeting) error {
				m.State, m.Title = core.StateScheduled, "renamed"
				return nil
			})
			return err
		},
		"FindMeetingByID": func() error { _, err := db.FindMeetingByID(ctx, wsU, m.ID); return err },
		"FindMeetings":    func() error { _, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU}); return err },
		"DeleteMeeting":   func() error { return db.DeleteMeeting(ctx, wsU, m.ID) },
		"Once":            func() error { _, err := db.Once(ctx, "slack:event:Ev1", start, time.Minute); return err },
		"UpdateWorkspace": func() error {
			_, err := db.UpdateWorkspace(ctx, wsU, func(w *core.Workspace) error { w.Admins = []string{"U9"}; return nil })
			return err
		},
		"Ping": func() error { return db.Ping(ctx) },
	}
	errs := make(map[string]error, len(down))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for what, call := range down {
		wg.Go(func() {
			err := call()
			mu.Lock()
			errs[what] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	for what := range down {
		wantUnavailable(t, what, errs[what])
	}

	if err := c.Members[0].Restart(); err != nil {
		t.Fatal(err)
	}
	// The client reconnects on its own; each Ping waits for it up to the
	// request timeout.
	for i := 0; db.Ping(ctx) != nil; i++ {
		if i == 100 {
			t.Fatal("store did not recover after the cluster came back")
		}
	}
	got, err := db.FindMeetingByID(ctx, wsU, m.ID)
	if err != nil {
		t.Fatalf("FindMeetingByID after recovery: %v", err)
	}
	if got.Version != 1 || got.Title != "standup" || got.State != core.StatePending {
		t.Fatalf("meeting after the outage = v%d %q %s: a failed update left something", got.Version, got.Title, got.State)
	}
	list, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU})
	if err != nil || len(list) != 1 {
		t.Fatalf("FindMeetings after recovery = %d meetings, %v; want only the first", len(list), err)
	}
	pending, err := db.FindPendingMeetings(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != m.ID {
		t.Fatalf("pending after recovery = %v, %v; want only %q", pending, err, m.ID)
	}
	if _, err := db.FindWorkspace(ctx, wsU); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("workspace after a failed update: %v, want none stored", err)
	}
	next := plainMeeting(start.Add(2 * time.Hour))
	if err := db.CreateMeeting(ctx, next); err != nil || next.ID != "2" {
		t.Fatalf("CreateMeeting after recovery = %q, %v; want id 2 (the failed create took no id)", next.ID, err)
	}
	fresh, err := db.Once(ctx, "slack:event:Ev1", start, time.Minute)
	if err != nil || !fresh {
		t.Fatalf("Once after recovery = %v, %v; want a fresh claim (the failed one stored nothing)", fresh, err)
	}
	s, err := db.Secret(ctx, "join-link", func() ([]byte, error) { return []byte("k2"), nil })
	if err != nil || string(s) != "k1" {
		t.Fatalf("Secret after recovery = %q, %v; want the first value", s, err)
	}
}
