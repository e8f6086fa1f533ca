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

// Ensure the participant cache hands out copies and follows every change
// of the record: a new token, a deletion, a raw write behind its back.
func TestParticipantCacheCopiesAndRevalidates(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	user := core.UserKey{Workspace: ws, UserID: "U1"}
	m := &core.Meeting{Workspace: ws, Channel: "C1", Title: "one", Organizer: "U1", Start: time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC),
		Duration: time.Hour, State: core.StateScheduled}
	if err := db.CreateMeeting(ctx, m); err != nil || m.ID != "1" {
		t.Fatalf("create meeting: %q %v", m.ID, err)
	}
	p := &core.Participant{Meeting: "1", User: user, RemoteID: "r1", Preset: "host", Token: "tok-1", IssuedAt: time.Unix(100, 0).UTC()}
	if err := db.PutParticipant(ctx, p); err != nil {
		t.Fatal(err)
	}
	first, err := db.FindParticipant(ctx, ws, "1", "U1")
	if err != nil || first.Token != "tok-1" {
		t.Fatalf("first read: %+v %v", first, err)
	}
	first.Token = "changed by a caller"
	again, _ := db.FindParticipant(ctx, ws, "1", "U1")
	if again.Token != "tok-1" {
		t.Fatalf("a caller's change leaked through the cache: %q", again.Token)
	}
	p.Token = "tok-2"
	if err := db.PutParticipant(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.FindParticipant(ctx, ws, "1", "U1"); got.Token != "tok-2" {
		t.Fatalf("read %q after a new token was stored", got.Token)
	}
	changed := *p
	changed.Token = "tok-3"
	v, err := encodeParticipant(&changed)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := participantKey(ws, "1", "U1")
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketParticipants).Put(key, v) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.FindParticipant(ctx, ws, "1", "U1"); got.Token != "tok-3" {
		t.Fatalf("read %q after a raw write", got.Token)
	}
	if err := db.DeleteParticipant(ctx, ws, "1", "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindParticipant(ctx, ws, "1", "U1"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("after delete: %v, want not found", err)
	}
}
