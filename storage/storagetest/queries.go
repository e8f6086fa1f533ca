package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func runMeetingQueryTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure FindMeetings filters by channel, states, EndsAfter and Limit, within one workspace, ordered by Start.
	t.Run("FindMeetingsFiltersAndOrders", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mk := func(ws core.WorkspaceKey, ch string, start time.Time, d time.Duration, st core.MeetingState) string {
			m := newMeeting(ws, ch, start, d)
			m.State = st
			return create(t, s, m).ID
		}
		// Created out of start order on purpose.
		later := mk(wsA, "C1", base.Add(48*time.Hour), time.Hour, core.StateScheduled)
		past := mk(wsA, "C1", base.Add(-48*time.Hour), time.Hour, core.StateScheduled)
		running := mk(wsA, "C2", base.Add(-30*time.Minute), time.Hour, core.StateScheduled)
		marathon := mk(wsA, "C1", base.Add(-72*time.Hour), 100*time.Hour, core.StateScheduled)
		cancelled := mk(wsA, "C1", base.Add(2*time.Hour), time.Hour, core.StateCancelled)
		soon := mk(wsA, "C2", base.Add(time.Hour), time.Hour, core.StatePending)
		justEnded := mk(wsA, "C1", base.Add(-time.Hour), time.Hour, core.StateScheduled)
		mk(wsB, "C1", base.Add(time.Hour), time.Hour, core.StateScheduled)
		mk(wsC, "C1", base.Add(time.Hour), time.Hour, core.StateScheduled)

		query := func(f core.MeetingFilter) []*core.Meeting {
			t.Helper()
			f.Workspace = wsA
			got, err := s.FindMeetings(t.Context(), f)
			if err != nil {
				t.Fatalf("FindMeetings(%+v): %v", f, err)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Start.Before(got[i-1].Start) {
					t.Fatalf("FindMeetings(%+v) not ordered by Start: %q", f, ids(got))
				}
			}
			return got
		}
		sameIDs(t, "all", query(core.MeetingFilter{}),
			marathon, past, justEnded, running, soon, cancelled, later)
		sameIDs(t, "channel C2", query(core.MeetingFilter{Channel: "C2"}), running, soon)
		sameIDs(t, "states", query(core.MeetingFilter{States: []core.MeetingState{core.StatePending, core.StateCancelled}}),
			soon, cancelled)
		// justEnded ends exactly at base, which is not after it.
		sameIDs(t, "ends after base", query(core.MeetingFilter{EndsAfter: base}),
			marathon, running, soon, cancelled, later)
		sameIDs(t, "limit", query(core.MeetingFilter{Limit: 2}), marathon, past)
		sameIDs(t, "combined", query(core.MeetingFilter{
			Channel: "C1", States: []core.MeetingState{core.StateScheduled}, EndsAfter: base, Limit: 2,
		}), marathon, later)
		sameIDs(t, "nothing", query(core.MeetingFilter{Channel: "nope"}))
		sameIDs(t, "far future", query(core.MeetingFilter{EndsAfter: base.AddDate(1, 0, 0)}))

		got, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsB})
		if err != nil || len(got) != 1 || got[0].Workspace != wsB {
			t.Fatalf("FindMeetings(%s) = %d meetings, %v; want its one meeting", wsB, len(got), err)
		}
	})

	// Ensure FindMeetings order follows a Start changed by UpdateMeeting.
	t.Run("FindMeetingsFollowsUpdatedStart", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		b := create(t, s, newMeeting(wsA, "C1", base.Add(time.Hour), time.Hour)).ID
		if _, err := s.UpdateMeeting(t.Context(), wsA, a, func(m *core.Meeting) error {
			m.Start = base.Add(24 * time.Hour)
			return nil
		}); err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		got, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA})
		if err != nil {
			t.Fatalf("FindMeetings: %v", err)
		}
		sameIDs(t, "after moving the first meeting a day later", got, b, a)
		got, err = s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA, EndsAfter: base.Add(12 * time.Hour)})
		if err != nil {
			t.Fatalf("FindMeetings: %v", err)
		}
		sameIDs(t, "ends after moved start", got, a)
	})

	// Ensure FindPendingMeetings lists pending meetings of every workspace and follows state changes and deletes.
	t.Run("FindPendingMeetingsAcrossWorkspaces", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		pending := func(ws core.WorkspaceKey) *core.Meeting {
			m := newMeeting(ws, "C1", base, time.Hour)
			m.State = core.StatePending
			return create(t, s, m)
		}
		a1, a2 := pending(wsA), pending(wsA)
		b1 := pending(wsB)
		create(t, s, newMeeting(wsC, "C1", base, time.Hour)) // scheduled, not pending

		want := map[core.WorkspaceKey][]string{wsA: {a1.ID, a2.ID}, wsB: {b1.ID}}
		check := func(what string) {
			t.Helper()
			got, err := s.FindPendingMeetings(t.Context())
			if err != nil {
				t.Fatalf("FindPendingMeetings: %v", err)
			}
			seen := map[core.WorkspaceKey][]string{}
			for _, m := range got {
				if m.State != core.StatePending {
					t.Fatalf("%s: listed %s/%s in state %q", what, m.Workspace, m.ID, m.State)
				}
				seen[m.Workspace] = append(seen[m.Workspace], m.ID)
			}
			n := 0
			for ws, wantIDs := range want {
				n += len(wantIDs)
				if len(seen[ws]) != len(wantIDs) {
					t.Fatalf("%s: pending in %s = %q, want %q", what, ws, seen[ws], wantIDs)
				}
				for _, id := range wantIDs {
					if !slices.Contains(seen[ws], id) {
						t.Fatalf("%s: pending in %s = %q, want %q", what, ws, seen[ws], wantIDs)
					}
				}
			}
			if len(got) != n {
				t.Fatalf("%s: %d pending meetings, want %d", what, len(got), n)
			}
		}
		check("after create")
		sameMeeting(t, find(t, s, wsA, a1.ID), a1)

		if _, err := s.UpdateMeeting(t.Context(), wsA, a1.ID, func(m *core.Meeting) error {
			m.State = core.StateScheduled
			m.RoomID = "room-1"
			return nil
		}); err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		want[wsA] = []string{a2.ID}
		check("after scheduling one")

		if _, err := s.UpdateMeeting(t.Context(), wsA, a2.ID, func(m *core.Meeting) error {
			m.Title = "still pending"
			return nil
		}); err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		check("after an update that keeps the state")

		if err := s.DeleteMeeting(t.Context(), wsB, b1.ID); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		delete(want, wsB)
		check("after deleting one")

		if _, err := s.UpdateMeeting(t.Context(), wsA, a1.ID, func(m *core.Meeting) error {
			m.State = core.StatePending
			return nil
		}); err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		want[wsA] = []string{a1.ID, a2.ID}
		check("after returning one to pending")
	})

	// Ensure FindActiveRooms lists exactly the meetings whose room is ACTIVE,
	// in every workspace, following updates, deletes and restarts of the index.
	t.Run("FindActiveRoomsFollowsRoomStatus", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mk := func(ws core.WorkspaceKey, st core.RoomStatus) *core.Meeting {
			m := newMeeting(ws, "C1", base, time.Hour)
			m.RoomStatus = st
			return create(t, s, m)
		}
		a := mk(wsA, core.RoomActive)
		b := mk(wsB, core.RoomActive)
		mk(wsA, core.RoomInactive)
		mk(wsC, "")
		ids := func() []string {
			t.Helper()
			got, err := s.FindActiveRooms(t.Context())
			if err != nil {
				t.Fatalf("FindActiveRooms: %v", err)
			}
			var out []string
			for _, m := range got {
				if m.RoomStatus != core.RoomActive {
					t.Fatalf("listed %s/%s with room status %q", m.Workspace, m.ID, m.RoomStatus)
				}
				out = append(out, m.Workspace.String()+"/"+m.ID)
			}
			slices.Sort(out)
			return out
		}
		want := []string{wsA.String() + "/" + a.ID, wsB.String() + "/" + b.ID}
		slices.Sort(want)
		if got := ids(); !slices.Equal(got, want) {
			t.Fatalf("active rooms = %q, want %q", got, want)
		}
		if _, err := s.UpdateMeeting(t.Context(), wsA, a.ID, func(m *core.Meeting) error {
			m.RoomStatus = core.RoomInactive
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMeeting(t.Context(), wsB, b.ID); err != nil {
			t.Fatal(err)
		}
		if got := ids(); len(got) != 0 {
			t.Fatalf("active rooms after close and delete = %q, want none", got)
		}
	})
}
