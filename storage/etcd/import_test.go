package etcd_test

import (
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// Ensure an imported meeting keeps its id and version, is found through
// every index, refuses a second import, and that ids created afterwards
// continue above both the imported ids and a raised counter.
func TestImportKeepsIDs(t *testing.T) {
	db := open(t, etcdtest.Prefix(t))
	defer db.Close()
	ctx := t.Context()
	empty, err := db.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("Empty on a fresh prefix = %v, %v", empty, err)
	}
	m := plainMeeting(time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC))
	m.ID, m.Version, m.RoomStatus = "12", 7, core.RoomActive
	if err := db.ImportMeeting(ctx, m); err != nil {
		t.Fatalf("ImportMeeting: %v", err)
	}
	if err := db.ImportMeeting(ctx, m); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("second ImportMeeting: %v, want ECONFLICT", err)
	}
	if empty, err := db.Empty(ctx); err != nil || empty {
		t.Fatalf("Empty after an import = %v, %v", empty, err)
	}
	got, err := db.FindMeetingByID(ctx, wsU, "12")
	if err != nil || got.Version != 7 {
		t.Fatalf("FindMeetingByID(12) = %+v, %v", got, err)
	}
	for name, find := range map[string]func() ([]*core.Meeting, error){
		"FindMeetings":        func() ([]*core.Meeting, error) { return db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU}) },
		"FindPendingMeetings": func() ([]*core.Meeting, error) { return db.FindPendingMeetings(ctx) },
		"FindActiveRooms":     func() ([]*core.Meeting, error) { return db.FindActiveRooms(ctx) },
	} {
		if ms, err := find(); err != nil || len(ms) != 1 || ms[0].ID != "12" {
			t.Fatalf("%s after import = %v, %v", name, ms, err)
		}
	}
	next := plainMeeting(m.Start)
	if err := db.CreateMeeting(ctx, next); err != nil || next.ID != "13" {
		t.Fatalf("CreateMeeting after importing 12 = %q, %v; want 13", next.ID, err)
	}
	if err := db.RaiseMeetingCounter(ctx, wsU, 40); err != nil {
		t.Fatal(err)
	}
	if err := db.RaiseMeetingCounter(ctx, wsU, 20); err != nil { // never lowers
		t.Fatal(err)
	}
	if err := db.CreateMeeting(ctx, next); err != nil || next.ID != "41" {
		t.Fatalf("CreateMeeting after raising the counter to 40 = %q, %v; want 41", next.ID, err)
	}
}
