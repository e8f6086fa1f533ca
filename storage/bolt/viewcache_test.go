package bolt

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// Ensure ViewMeetings answers what FindMeetings answers, that a repeated
// view with no write in between is served from the view cache, and that
// any write (through the DB or a raw transaction, as a restore would)
// makes the next view read the new data rather than a stale list.
func TestViewMeetingsFollowsWrites(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	base := time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i, ch := range []string{"C1", "C1", "C2"} {
		m := &core.Meeting{Workspace: ws, Channel: ch, Title: "m", Organizer: "U1", Start: base.Add(time.Duration(i) * time.Hour),
			Duration: time.Hour, State: core.StateScheduled}
		if err := db.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	f := core.MeetingFilter{Workspace: ws, Channel: "C1", States: []core.MeetingState{core.StateScheduled}}
	titles := func() []string {
		t.Helper()
		view, err := db.ViewMeetings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		found, err := db.FindMeetings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(view) != len(found) {
			t.Fatalf("ViewMeetings = %d meetings, FindMeetings = %d", len(view), len(found))
		}
		var out []string
		for i := range view {
			if view[i].ID != found[i].ID || view[i].Title != found[i].Title || view[i].State != found[i].State {
				t.Fatalf("ViewMeetings[%d] = %s %q, FindMeetings[%d] = %s %q", i, view[i].ID, view[i].Title, i, found[i].ID, found[i].Title)
			}
			out = append(out, view[i].ID+":"+view[i].Title)
		}
		return out
	}
	if got := titles(); len(got) != 2 || got[0] != ids[0]+":m" || got[1] != ids[1]+":m" {
		t.Fatalf("C1 = %v, want meetings %s and %s", got, ids[0], ids[1])
	}
	first, _ := db.ViewMeetings(ctx, f)
	second, _ := db.ViewMeetings(ctx, f)
	if &first[0] != &second[0] {
		t.Fatal("a repeated view with no write in between was read again, not served from the view cache")
	}

	if _, err := db.UpdateMeeting(ctx, ws, ids[1], func(m *core.Meeting) error { m.Title = "renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 2 || got[1] != ids[1]+":renamed" {
		t.Fatalf("after a rename C1 = %v, want %s renamed", got, ids[1])
	}
	if _, err := db.UpdateMeeting(ctx, ws, ids[0], func(m *core.Meeting) error { m.State = core.StateCancelled; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 1 || got[0] != ids[1]+":renamed" {
		t.Fatalf("after a cancel C1 = %v, want only %s", got, ids[1])
	}

	// A raw write that bypasses the DB's methods still bumps the
	// transaction id the cache is keyed by.
	m, err := db.FindMeetingByID(ctx, ws, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	m.Title = "restored"
	v, err := encodeMeeting(m)
	if err != nil {
		t.Fatal(err)
	}
	prefix, _ := wsPrefix(ws)
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(meetingKey(prefix, ids[1]), v) }); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 1 || got[0] != ids[1]+":restored" {
		t.Fatalf("after a raw write C1 = %v, want %s restored", got, ids[1])
	}
}
