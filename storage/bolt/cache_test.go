package bolt

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// Ensure the decode cache hands out copies, and never a stale meeting when
// the stored bytes change behind it (here: written by a raw transaction,
// as a second DB handle or a restore would).
func TestDecodeCacheCopiesAndRevalidates(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	m := &core.Meeting{Workspace: ws, Channel: "C1", Title: "one", Organizer: "U1", Start: time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC),
		Duration: time.Hour, State: core.StateScheduled, Invitees: []string{"U2"}, RSVPs: map[string]core.RSVP{"U2": core.RSVPYes}}
	if err := db.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	first, err := db.FindMeetingByID(ctx, ws, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	first.Invitees[0], first.RSVPs["U2"], first.Title = "X", core.RSVPNo, "changed by a caller"
	again, err := db.FindMeetingByID(ctx, ws, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Title != "one" || again.Invitees[0] != "U2" || again.RSVPs["U2"] != core.RSVPYes {
		t.Fatalf("a caller's change leaked through the cache: %+v", again)
	}
	changed := again.Clone()
	changed.Title = "two"
	v, err := encodeMeeting(changed)
	if err != nil {
		t.Fatal(err)
	}
	prefix, _ := wsPrefix(ws)
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(meetingKey(prefix, m.ID), v) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindMeetingByID(ctx, ws, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "two" {
		t.Fatalf("read %q after the record changed, want the new title", got.Title)
	}
}

// Ensure an UpdateUser whose fn answers ErrUnchanged commits no write
// transaction (bbolt syncs even an empty one), while a real change does.
func TestUpdateUserUnchangedDoesNotWrite(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	key := core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}, UserID: "U1"}
	txid := func() (id int) {
		_ = db.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
		return id
	}
	setName := func(u *core.User) error {
		if u.DisplayName == "Ada" {
			return core.ErrUnchanged
		}
		u.DisplayName = "Ada"
		return nil
	}
	start := txid()
	if u, err := db.UpdateUser(ctx, key, setName); err != nil || u.DisplayName != "Ada" {
		t.Fatalf("first update: %+v, %v", u, err)
	}
	if txid() != start+1 {
		t.Fatalf("a real change committed %d write transactions, want 1", txid()-start)
	}
	if u, err := db.UpdateUser(ctx, key, setName); err != nil || u.DisplayName != "Ada" {
		t.Fatalf("unchanged update: %+v, %v", u, err)
	}
	if txid() != start+1 {
		t.Fatal("an unchanged update committed a write transaction")
	}
}
