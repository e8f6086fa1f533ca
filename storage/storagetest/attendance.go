package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// runAttendanceTests covers the room index and attendance per occurrence.
func runAttendanceTests(t *testing.T, fresh func(t *testing.T) core.Store) {
	// Ensure the room index follows the meeting: found by its room in any
	// workspace, moved when the room changes, gone with the meeting, and
	// an unknown room is ENOTFOUND.
	t.Run("RoomIndexFollowsMeeting", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		a := newMeeting(wsA, "C1", base, time.Hour)
		a.RoomID = "room-a"
		create(t, s, a)
		c := newMeeting(wsC, "C1", base, time.Hour)
		c.RoomID = "room-c"
		create(t, s, c)
		noRoom := newMeeting(wsA, "C1", base, time.Hour)
		noRoom.RoomID = ""
		create(t, s, noRoom)
		for room, want := range map[string]core.WorkspaceKey{"room-a": wsA, "room-c": wsC} {
			got, err := s.FindMeetingByRoom(ctx, room)
			if err != nil || got.Workspace != want || got.RoomID != room {
				t.Fatalf("FindMeetingByRoom(%q) = %+v, %v; want the meeting of %s", room, got, err, want)
			}
		}
		for _, room := range []string{"", "room-x", "room"} {
			_, err := s.FindMeetingByRoom(ctx, room)
			wantCode(t, err, core.ENOTFOUND, fmt.Sprintf("FindMeetingByRoom(%q)", room))
		}
		if _, err := s.UpdateMeeting(ctx, wsA, noRoom.ID, func(m *core.Meeting) error { m.RoomID = "room-late"; return nil }); err != nil {
			t.Fatal(err)
		}
		if got, err := s.FindMeetingByRoom(ctx, "room-late"); err != nil || got.ID != noRoom.ID {
			t.Fatalf("room set by an update: %+v, %v", got, err)
		}
		if _, err := s.UpdateMeeting(ctx, wsA, a.ID, func(m *core.Meeting) error { m.RoomID = "room-a2"; return nil }); err != nil {
			t.Fatal(err)
		}
		_, err := s.FindMeetingByRoom(ctx, "room-a")
		wantCode(t, err, core.ENOTFOUND, "the old room after a change")
		if got, err := s.FindMeetingByRoom(ctx, "room-a2"); err != nil || got.ID != a.ID {
			t.Fatalf("the new room: %+v, %v", got, err)
		}
		if err := s.DeleteMeeting(ctx, wsC, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindMeetingByRoom(ctx, "room-c")
		wantCode(t, err, core.ENOTFOUND, "the room of a deleted meeting")
	})

	// Ensure attendance round-trips every field, is kept per occurrence,
	// newest first, bounded to core.MaxAttendance, scoped by workspace,
	// and goes with the meeting.
	t.Run("AttendanceRoundTripBoundAndTenancy", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		other := create(t, s, newMeeting(wsC, "C1", base, time.Hour))
		if other.ID != m.ID {
			t.Fatalf("fixture: ids %q and %q should be equal", m.ID, other.ID)
		}
		want := &core.Attendance{
			Workspace: wsA, Meeting: m.ID, Occurrence: base,
			Sessions: []core.RoomSession{{ID: "s1", StartedAt: base.Add(time.Minute), EndedAt: base.Add(time.Hour + 7), Reason: "ALL_PARTICIPANTS_LEFT"}},
			Peers: []core.Presence{
				{PeerID: "p1", SessionID: "s1", CustomID: "c1", UserID: "U1", Name: "Ada <@U9>", JoinedAt: base.Add(2 * time.Minute), LeftAt: base.Add(30 * time.Minute)},
				{PeerID: "p2", SessionID: "s1", CustomID: "c2", JoinedAt: base.Add(3 * time.Minute)},
			},
			Recordings: []string{"r1"},
			UpdatedAt:  base.Add(time.Hour),
		}
		got, err := s.UpdateAttendance(ctx, wsA, m.ID, base, func(a *core.Attendance) error {
			if a.Workspace != wsA || a.Meeting != m.ID || !a.Occurrence.Equal(base) || len(a.Peers) != 0 {
				return fmt.Errorf("a fresh record = %+v", a)
			}
			*a = *want.Clone()
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateAttendance: %v", err)
		}
		sameAttendance(t, got, want)
		got.Peers[0].Name = "changed" // the store must have copied it
		list, err := s.ListAttendance(ctx, wsA, m.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListAttendance = %d records, %v", len(list), err)
		}
		sameAttendance(t, list[0], want)
		if l, err := s.ListAttendance(ctx, wsC, m.ID); err != nil || len(l) != 0 {
			t.Fatalf("another workspace's meeting with the same id sees %d records, %v", len(l), err)
		}

		// Ensure a newer occurrence beyond the bound drops the oldest.
		for i := 1; i <= core.MaxAttendance+4; i++ {
			occ := base.Add(time.Duration(i) * 7 * 24 * time.Hour)
			if _, err := s.UpdateAttendance(ctx, wsA, m.ID, occ, func(a *core.Attendance) error {
				a.Sessions = []core.RoomSession{{ID: fmt.Sprintf("s%d", i+1)}}
				return nil
			}); err != nil {
				t.Fatalf("UpdateAttendance %d: %v", i, err)
			}
		}
		list, err = s.ListAttendance(ctx, wsA, m.ID)
		if err != nil || len(list) != core.MaxAttendance {
			t.Fatalf("after %d occurrences ListAttendance = %d records, %v; want %d", core.MaxAttendance+5, len(list), err, core.MaxAttendance)
		}
		for i, a := range list {
			wantOcc := base.Add(time.Duration(core.MaxAttendance+4-i) * 7 * 24 * time.Hour)
			if !a.Occurrence.Equal(wantOcc) {
				t.Fatalf("record %d is of %v, want %v (newest first)", i, a.Occurrence, wantOcc)
			}
		}
		if err := s.DeleteMeeting(ctx, wsA, m.ID); err != nil {
			t.Fatal(err)
		}
		if l, err := s.ListAttendance(ctx, wsA, m.ID); err != nil || len(l) != 0 {
			t.Fatalf("a deleted meeting keeps %d records, %v", len(l), err)
		}
	})

	// Ensure ErrUnchanged and fn's errors store nothing, and a missing
	// meeting is ENOTFOUND.
	t.Run("AttendanceUnchangedErrorsAndMissingMeeting", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		got, err := s.UpdateAttendance(ctx, wsA, m.ID, base, func(a *core.Attendance) error {
			a.Sessions = []core.RoomSession{{ID: "x"}}
			return core.ErrUnchanged
		})
		if err != nil || got == nil || len(got.Sessions) != 0 {
			t.Fatalf("unchanged: %+v, %v; want the record as read", got, err)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateAttendance(ctx, wsA, m.ID, base, func(a *core.Attendance) error {
			a.Sessions = []core.RoomSession{{ID: "x"}}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("fn's error came back as %v", err)
		}
		if l, err := s.ListAttendance(ctx, wsA, m.ID); err != nil || len(l) != 0 {
			t.Fatalf("nothing should be stored: %d records, %v", len(l), err)
		}
		_, err = s.UpdateAttendance(ctx, wsA, "999", base, func(*core.Attendance) error { return nil })
		wantCode(t, err, core.ENOTFOUND, "UpdateAttendance of a missing meeting")
		_, err = s.UpdateAttendance(ctx, wsB, m.ID, base, func(*core.Attendance) error { return nil })
		wantCode(t, err, core.ENOTFOUND, "UpdateAttendance of another workspace's meeting")
	})
}

// sameAttendance fails unless got has want's fields (times compared as
// instants).
func sameAttendance(t *testing.T, got, want *core.Attendance) {
	t.Helper()
	norm := func(a *core.Attendance) *core.Attendance {
		c := a.Clone()
		utc := func(x time.Time) time.Time {
			if x.IsZero() {
				return time.Time{}
			}
			return x.UTC()
		}
		c.Occurrence, c.UpdatedAt = utc(c.Occurrence), utc(c.UpdatedAt)
		for i := range c.Sessions {
			c.Sessions[i].StartedAt, c.Sessions[i].EndedAt = utc(c.Sessions[i].StartedAt), utc(c.Sessions[i].EndedAt)
		}
		for i := range c.Peers {
			c.Peers[i].JoinedAt, c.Peers[i].LeftAt = utc(c.Peers[i].JoinedAt), utc(c.Peers[i].LeftAt)
		}
		return c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("attendance differs:\n got %+v\nwant %+v", g, w)
	}
}
