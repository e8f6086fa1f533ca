package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
	"github.com/meetbot/meetbot/storage"
	"github.com/meetbot/meetbot/storage/bolt"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
	"github.com/meetbot/meetbot/storage/internal/dump"
)

// fixture fills a bbolt store through the real service: a one-off
// meeting, a daily series with a skipped day and RSVPs, a live meeting
// with a participant (token) and an issued join link, jobs done, claimed
// and pending, a user's zone, workspace settings, an installation and a
// delivery key. It returns the join link's code.
func fixture(t *testing.T, te *testenv.Env) (joinCode string) {
	t.Helper()
	ctx := context.Background()
	svc, now := te.Service, te.Clock.Now()
	ana, bo := testenv.Actor("ana"), testenv.Actor("bo")
	te.Schedule(ana, "Planning", now.Add(26*time.Hour), 45*time.Minute)
	series, err := svc.Schedule(ctx, ana, core.ScheduleRequest{Title: "Daily", Start: now.Add(19 * time.Hour), Duration: 15 * time.Minute, Recurrence: "FREQ=DAILY"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Skip(ctx, ana, series.ID, now.Add(43*time.Hour)); err != nil {
		t.Fatalf("skip: %v", err)
	}
	if _, err := svc.RSVP(ctx, bo, series.ID, core.RSVPYes); err != nil {
		t.Fatalf("rsvp: %v", err)
	}
	live, err := svc.Schedule(ctx, ana, core.ScheduleRequest{Title: "Standup", Now: true, Duration: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	link, err := svc.Join(ctx, bo, live.ID)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	_, code, ok := strings.Cut(link.URL, "/j/")
	if !ok {
		t.Fatalf("join URL %q", link.URL)
	}
	// bo is in the live meeting's room: one attendance record.
	if err := svc.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.ParticipantJoined, RoomID: link.Meeting.RoomID, SessionID: "s1",
		PeerID: "p1", CustomParticipantID: "c-bo", DisplayName: "Bo", At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetTimeZone(ctx, bo, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	grace := 7 * time.Minute
	if err := te.Store.PutWorkspace(ctx, &core.Workspace{Key: testenv.Workspace, DefaultTimeZone: "Europe/Paris", Grace: &grace, Reminders: []time.Duration{}, Admins: []string{"ana"}}); err != nil {
		t.Fatal(err)
	}
	if err := te.Store.PutInstallation(ctx, &core.Installation{Workspace: testenv.Workspace, SealedToken: []byte{1, 2, 3}, BotUserID: "B1", Scopes: "commands", InstalledBy: "ana", InstalledAt: now}); err != nil {
		t.Fatal(err)
	}
	if fresh, err := te.Store.Once(ctx, "slack:retry:1", now, time.Hour); err != nil || !fresh {
		t.Fatalf("once: %v %v", fresh, err)
	}
	// Run what is due now (the live meeting's open), then claim the next
	// job without finishing it, as a scheduler that died would leave it.
	sched := scheduler.New(scheduler.Options{Store: te.Store, Runner: svc, Leader: te.Leader(), Clock: te.Clock, Owner: "old-leader"})
	if n, err := sched.RunDue(ctx); err != nil || n == 0 {
		t.Fatalf("run due: %d %v", n, err)
	}
	if claimed, err := te.Store.ClaimDue(ctx, now.Add(time.Hour), 1, "old-leader", time.Hour); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	return code
}

// same compares two records by their JSON, which covers every field and
// treats equal instants in one zone alike.
func same(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("%s differs after migration:\nbolt: %s\netcd: %s", what, ja, jb)
	}
}

// TestMigrateBoltToEtcd copies a bbolt store into an empty etcd prefix and
// reads every record back through the etcd store: all equal, the next
// meeting id continues the sequence, a join link issued before the copy
// opens on a service built on etcd, and a second migration is refused.
func TestMigrateBoltToEtcd(t *testing.T) {
	ctx := context.Background()
	te := testenv.New(t, testenv.Options{Driver: storage.Bolt, NoSync: true})
	code := fixture(t, te)
	// The Env's bbolt store as the factory's Backend (testenv opens bbolt
	// itself, so that its test binaries do not link the etcd driver).
	db := te.Store.(*bolt.DB)
	from := &storage.Backend{Driver: storage.Bolt, Store: db, Leader: te.Leader(), Pruner: db, BoltDB: db}

	var items []dump.Item
	var want dump.Counts
	if err := from.BoltDB.Export(ctx, func(it dump.Item) error { items = append(items, it); want.Add(it); return nil }); err != nil {
		t.Fatal(err)
	}
	if want.Meetings != 3 || want.Participants != 1 || want.Secrets == 0 || want.Jobs == 0 || want.Counters != 1 || want.Users == 0 || want.Workspaces != 1 || want.Installations != 1 || want.Once != 1 || want.Attendance != 1 {
		t.Fatalf("fixture exported %+v", want)
	}

	prefix := etcdtest.Prefix(t)
	open := func() *storage.Backend {
		b, err := storage.Open(ctx, storage.Config{Driver: storage.Etcd, Etcd: etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: prefix}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	target := open()
	got, err := storage.Migrate(ctx, from, target)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if got != want {
		t.Fatalf("migrated %+v, exported %+v", got, want)
	}

	bs, es := te.Store, target.Store
	jobStates := map[string]bool{}
	for _, it := range items {
		switch {
		case it.Meeting != nil:
			m := it.Meeting
			em, err := es.FindMeetingByID(ctx, m.Workspace, m.ID)
			if err != nil {
				t.Fatalf("meeting %s on etcd: %v", m.ID, err)
			}
			same(t, "meeting "+m.ID, m, em)
			bj, err1 := bs.FindJobs(ctx, m.Workspace, m.ID)
			ej, err2 := es.FindJobs(ctx, m.Workspace, m.ID)
			if err1 != nil || err2 != nil {
				t.Fatalf("jobs of %s: %v %v", m.ID, err1, err2)
			}
			same(t, "jobs of "+m.ID, bj, ej)
			bp, _ := bs.ListParticipants(ctx, m.Workspace, m.ID)
			ep, err := es.ListParticipants(ctx, m.Workspace, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "participants of "+m.ID, bp, ep)
			ba, _ := bs.ListAttendance(ctx, m.Workspace, m.ID)
			ea, err := es.ListAttendance(ctx, m.Workspace, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "attendance of "+m.ID, ba, ea)
			if m.RoomID != "" {
				if rm, err := es.FindMeetingByRoom(ctx, m.RoomID); err != nil || rm.ID != m.ID {
					t.Fatalf("room of meeting %s on etcd: %+v, %v", m.ID, rm, err)
				}
			}
		case it.User != nil:
			u, err := es.FindUser(ctx, it.User.Key)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "user "+it.User.Key.UserID, it.User, u)
		case it.Workspace != nil:
			w, err := es.FindWorkspace(ctx, it.Workspace.Key)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "workspace settings", it.Workspace, w)
		case it.Installation != nil:
			in, err := es.FindInstallation(ctx, it.Installation.Workspace)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "installation", it.Installation, in)
		case it.Secret != nil:
			v, err := es.Secret(ctx, it.Secret.Name, func() ([]byte, error) { return nil, errors.New("the secret was not copied") })
			if err != nil || string(v) != string(it.Secret.Value) {
				t.Errorf("secret %s: %v (equal %v)", it.Secret.Name, err, string(v) == string(it.Secret.Value))
			}
		case it.Once != nil:
			if fresh, err := es.Once(ctx, it.Once.Key, te.Clock.Now(), time.Hour); err != nil || fresh {
				t.Errorf("delivery key %s is new again on etcd (%v)", it.Once.Key, err)
			}
		case it.Job != nil:
			switch {
			case !it.Job.DoneAt.IsZero():
				jobStates["done"] = true
			case it.Job.ClaimedBy != "":
				jobStates["claimed"] = true
			default:
				jobStates["pending"] = true
			}
		}
	}
	if len(jobStates) != 3 {
		t.Errorf("fixture's jobs cover states %v, want done, claimed and pending", jobStates)
	}

	// The next meeting continues the workspace's id sequence.
	var last uint64
	for _, it := range items {
		if it.Counter != nil {
			last = it.Counter.LastID
		}
	}
	m := &core.Meeting{Workspace: testenv.Workspace, Channel: "C1", Title: "After", Organizer: "ana", Start: te.Clock.Now().Add(48 * time.Hour), TimeZone: "UTC", Duration: time.Hour, State: core.StateScheduled}
	if err := es.CreateMeeting(ctx, m); err != nil || m.ID != strconv.FormatUint(last+1, 10) {
		t.Errorf("next id on etcd = %q (%v), want %d", m.ID, err, last+1)
	}

	// A join link issued on bbolt opens on a service built on etcd: the
	// join-link key came along, and so did the participant and its token.
	svc, err := core.NewService(ctx, te.Config, core.Deps{Store: es, Conference: te.Conf, Clock: te.Clock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.OpenLink(ctx, code)
	if err != nil {
		t.Fatalf("join link issued before the migration: %v", err)
	}
	if page.User.UserID != "bo" || page.Token == "" {
		t.Fatalf("join page after migration: user %q, token set %v", page.User.UserID, page.Token != "")
	}

	// A second migration into the same prefix is refused before writing.
	again, err := storage.Migrate(ctx, from, open())
	if core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(err.Error(), "already holds") || !strings.Contains(err.Error(), prefix) || again.Meetings != 0 {
		t.Fatalf("second migrate: %v", err)
	}
}
