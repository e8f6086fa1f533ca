package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func runMeetingTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure CreateMeeting assigns short, distinct, increasing ids and Version 1, also past "9".
	t.Run("CreateMeetingAssignsIncreasingIDs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var prev string
		for i := range 12 {
			m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
			if m.ID == "" || len(m.ID) > 4 {
				t.Fatalf("meeting %d got id %q, want a short non-empty id", i, m.ID)
			}
			if m.Version != 1 {
				t.Fatalf("meeting %q got Version %d, want 1", m.ID, m.Version)
			}
			if prev != "" && !idLess(prev, m.ID) {
				t.Fatalf("id %q after %q does not increase", m.ID, prev)
			}
			prev = m.ID
			if got := find(t, s, wsA, m.ID); got.Version != 1 {
				t.Fatalf("stored Version %d, want 1", got.Version)
			}
		}
	})

	// Ensure each workspace has its own id sequence: creating in one does not advance another.
	t.Run("MeetingIDsArePerWorkspace", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		first := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			if got := create(t, s, newMeeting(ws, "C1", base, time.Hour)).ID; got != first {
				t.Fatalf("first id in %s = %q, want %q like the first in %s", ws, got, first, wsA)
			}
		}
	})

	// Ensure deleting meetings does not free their ids for reuse.
	t.Run("MeetingIDsAreNeverReused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var all []string
		for range 3 {
			all = append(all, create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID)
		}
		for _, id := range all[1:] {
			if err := s.DeleteMeeting(t.Context(), wsA, id); err != nil {
				t.Fatalf("DeleteMeeting: %v", err)
			}
		}
		next := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		for _, id := range all {
			if !idLess(id, next) {
				t.Fatalf("new id %q is not above earlier id %q", next, id)
			}
		}
	})

	// Ensure every field, including time instants and the zone name, round-trips.
	t.Run("FindMeetingByIDRoundTrips", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		want := newMeeting(wsA, "C1", base, 90*time.Minute)
		want.State = core.StateCancelled
		want.CancelledBy = "U9"
		want.CancelledAt = base.Add(-30 * time.Second)
		create(t, s, want)
		got := find(t, s, wsA, want.ID)
		sameMeeting(t, got, want)
		if got.TimeZone != "Europe/Berlin" {
			t.Fatalf("TimeZone = %q", got.TimeZone)
		}

		zero := &core.Meeting{Workspace: wsA, Start: base, State: core.StateScheduled}
		create(t, s, zero)
		sameMeeting(t, find(t, s, wsA, zero.ID), zero)
	})

	// Ensure a missing id, and another workspace's id, are both ENOTFOUND.
	t.Run("FindMeetingByIDIsScopedByWorkspace", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		_, err := s.FindMeetingByID(t.Context(), wsA, "999999")
		wantCode(t, err, core.ENOTFOUND, "missing id")
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			_, err := s.FindMeetingByID(t.Context(), ws, m.ID)
			wantCode(t, err, core.ENOTFOUND, "id of "+wsA.String()+" looked up in "+ws.String())
		}
	})

	// Ensure UpdateMeeting gives fn the stored meeting, stores its change and bumps Version.
	t.Run("UpdateMeetingAppliesFn", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		got, err := s.UpdateMeeting(t.Context(), wsA, m.ID, func(c *core.Meeting) error {
			if c.Title != m.Title || c.Version != 1 {
				return fmt.Errorf("fn got title %q version %d", c.Title, c.Version)
			}
			c.Title = "Renamed"
			c.Invitees = append(c.Invitees, "U7")
			c.Exceptions = append(c.Exceptions[:1], core.Exception{Original: base.Add(21 * 24 * time.Hour), Skipped: true})
			c.RSVPs["U7"] = core.RSVPYes
			delete(c.RSVPs, "U6")
			c.UpdatedAt = base
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		want := m.Clone()
		want.Title, want.Invitees, want.UpdatedAt, want.Version = "Renamed", []string{"U4", "U7"}, base, 2
		want.Exceptions = append(want.Exceptions[:1], core.Exception{Original: base.Add(21 * 24 * time.Hour), Skipped: true})
		want.RSVPs = map[string]core.RSVP{"U4": core.RSVPYes, "U7": core.RSVPYes}
		sameMeeting(t, got, want)
		sameMeeting(t, find(t, s, wsA, m.ID), want)
	})

	// Ensure an error from fn is returned as is and nothing is stored.
	t.Run("UpdateMeetingFnErrorStoresNothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		sentinel := core.Errorf(core.EFORBIDDEN, "Only the organizer can do that.")
		_, err := s.UpdateMeeting(t.Context(), wsA, m.ID, func(c *core.Meeting) error {
			c.Title = "Should not stick"
			c.State = core.StatePending
			return fmt.Errorf("policy: %w", sentinel)
		})
		if !errors.Is(err, sentinel) {
			t.Fatalf("UpdateMeeting error = %v, want one wrapping the fn's error", err)
		}
		wantCode(t, err, core.EFORBIDDEN, "fn error")
		sameMeeting(t, find(t, s, wsA, m.ID), m)
		if p, err := s.FindPendingMeetings(t.Context()); err != nil || len(p) != 0 {
			t.Fatalf("FindPendingMeetings = %d meetings, %v; want none", len(p), err)
		}
	})

	// Ensure UpdateMeeting of a missing or foreign meeting is ENOTFOUND without calling fn.
	t.Run("UpdateMeetingNotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		for _, c := range []struct {
			ws core.WorkspaceKey
			id string
		}{{wsA, "999999"}, {wsB, m.ID}, {wsC, m.ID}} {
			_, err := s.UpdateMeeting(t.Context(), c.ws, c.id, func(*core.Meeting) error {
				t.Errorf("fn called for %s/%s", c.ws, c.id)
				return nil
			})
			wantCode(t, err, core.ENOTFOUND, "update "+c.ws.String()+"/"+c.id)
		}
	})

	// Ensure 32 concurrent updates of one meeting are all kept (no lost update).
	t.Run("UpdateMeetingConcurrentNoLostUpdate", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := newMeeting(wsA, "C1", base, time.Hour)
		m.Invitees = nil
		create(t, s, m)
		const n = 32
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := s.UpdateMeeting(t.Context(), wsA, m.ID, func(c *core.Meeting) error {
					c.Invitees = append(c.Invitees, fmt.Sprintf("U%02d", i))
					return nil
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("UpdateMeeting: %v", err)
			}
		}
		got := find(t, s, wsA, m.ID)
		inv := slices.Sorted(slices.Values(got.Invitees))
		if len(inv) != n || len(slices.Compact(inv)) != n {
			t.Fatalf("after %d appends Invitees = %q", n, got.Invitees)
		}
		if got.Version != n+1 {
			t.Fatalf("Version = %d, want %d", got.Version, n+1)
		}
	})

	// Ensure callers get copies: mutating an argument or a result never changes the store.
	t.Run("MeetingValuesAreCopies", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		want := m.Clone()
		mutate := func(x *core.Meeting) {
			x.Title = "mutated"
			x.Invitees[0] = "mutated"
			x.CoHosts[0] = "mutated"
			x.Exceptions[0].Skipped = false
			x.RSVPs["U4"] = core.RSVPNo
		}
		mutate(m)
		mutate(find(t, s, wsA, want.ID))
		list, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA})
		if err != nil || len(list) != 1 {
			t.Fatalf("FindMeetings = %d, %v", len(list), err)
		}
		mutate(list[0])
		var kept *core.Meeting
		upd, err := s.UpdateMeeting(t.Context(), wsA, want.ID, func(c *core.Meeting) error {
			kept = c
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		want.Version = 2
		mutate(upd)
		mutate(kept)
		sameMeeting(t, find(t, s, wsA, want.ID), want)
	})

	// Ensure DeleteMeeting removes the meeting and its participants, and only in its workspace.
	t.Run("DeleteMeetingRemovesParticipants", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m1 := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		m2 := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		other := create(t, s, newMeeting(wsB, "C1", base, time.Hour))
		if other.ID != m1.ID {
			t.Fatalf("setup: want the same id in both workspaces, got %q and %q", m1.ID, other.ID)
		}
		for _, p := range []*core.Participant{
			newParticipant(wsA, m1.ID, "U1"), newParticipant(wsA, m1.ID, "U2"),
			newParticipant(wsA, m2.ID, "U1"), newParticipant(wsB, other.ID, "U1"),
		} {
			putParticipant(t, s, p)
		}
		if err := s.DeleteMeeting(t.Context(), wsA, m1.ID); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		_, err := s.FindMeetingByID(t.Context(), wsA, m1.ID)
		wantCode(t, err, core.ENOTFOUND, "deleted meeting")
		_, err = s.FindParticipant(t.Context(), wsA, m1.ID, "U1")
		wantCode(t, err, core.ENOTFOUND, "participant of deleted meeting")
		if ps := listParticipants(t, s, wsA, m1.ID); len(ps) != 0 {
			t.Fatalf("deleted meeting still lists %d participants", len(ps))
		}
		if ps := listParticipants(t, s, wsA, m2.ID); len(ps) != 1 {
			t.Fatalf("other meeting lists %d participants, want 1", len(ps))
		}
		find(t, s, wsB, other.ID)
		if ps := listParticipants(t, s, wsB, other.ID); len(ps) != 1 {
			t.Fatalf("same id in another workspace lists %d participants, want 1", len(ps))
		}
		list, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA})
		if err != nil {
			t.Fatalf("FindMeetings: %v", err)
		}
		sameIDs(t, "after delete", list, m2.ID)
		for _, id := range []string{m1.ID, "999999"} {
			if err := s.DeleteMeeting(t.Context(), wsA, id); err != nil {
				t.Fatalf("DeleteMeeting of missing %q: %v", id, err)
			}
		}
	})

	// Ensure a cancelled context is refused before anything is written.
	t.Run("CancelledContextIsRefused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.CreateMeeting(ctx, newMeeting(wsA, "C1", base, time.Hour)); err == nil {
			t.Fatal("CreateMeeting with a cancelled context succeeded")
		}
		if _, err := s.FindMeetingByID(ctx, wsA, "1"); err == nil {
			t.Fatal("FindMeetingByID with a cancelled context succeeded")
		}
		list, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA})
		if err != nil || len(list) != 0 {
			t.Fatalf("FindMeetings after refused create = %d meetings, %v", len(list), err)
		}
	})
}
