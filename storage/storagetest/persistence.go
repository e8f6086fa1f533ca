package storagetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// RunPersistence checks that a store keeps everything across a restart. open
// must open the store kept in dir; the suite calls it twice on the same dir,
// closing the first store before opening the second, and closes the second.
// The cases run in parallel, each on a dir of its own, so open may be called
// for two dirs at once.
func RunPersistence(t *testing.T, open func(t *testing.T, dir string) core.Store) {
	t.Helper()
	// Ensure meetings, indexes, participants, users, workspaces, secrets and the id sequence survive a reopen.
	t.Run("EverythingSurvivesReopen", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := open(t, dir)

		m1 := create(t, s, newMeeting(wsA, "C1", base.Add(time.Hour), time.Hour))
		m2 := newMeeting(wsA, "C2", base, 2*time.Hour)
		m2.State = core.StatePending
		create(t, s, m2)
		gone := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		if err := s.DeleteMeeting(t.Context(), wsA, gone.ID); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		mb := create(t, s, newMeeting(wsB, "C1", base, time.Hour))
		m1, err := s.UpdateMeeting(t.Context(), wsA, m1.ID, func(m *core.Meeting) error {
			m.Invitees = append(m.Invitees, "U8")
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateMeeting: %v", err)
		}
		p := newParticipant(wsA, m1.ID, "U1")
		putParticipant(t, s, p)
		u := &core.User{Key: core.UserKey{Workspace: wsA, UserID: "U1"}, DisplayName: "Ada", TimeZone: "Europe/Berlin", UpdatedAt: base}
		if err := s.PutUser(t.Context(), u); err != nil {
			t.Fatalf("PutUser: %v", err)
		}
		w := &core.Workspace{Key: wsA, DefaultTimeZone: "Europe/Berlin", EarlyJoin: durp(3 * time.Minute), Admins: []string{"U1"}, UpdatedAt: base}
		if err := s.PutWorkspace(t.Context(), w); err != nil {
			t.Fatalf("PutWorkspace: %v", err)
		}
		secret, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return []byte("0123456789abcdef"), nil })
		if err != nil {
			t.Fatalf("Secret: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		s = open(t, dir)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping after reopen: %v", err)
		}
		sameMeeting(t, find(t, s, wsA, m1.ID), m1)
		sameMeeting(t, find(t, s, wsA, m2.ID), m2)
		sameMeeting(t, find(t, s, wsB, mb.ID), mb)
		_, err = s.FindMeetingByID(t.Context(), wsA, gone.ID)
		wantCode(t, err, core.ENOTFOUND, "meeting deleted before reopen")

		list, err := s.FindMeetings(t.Context(), core.MeetingFilter{Workspace: wsA, EndsAfter: base.Add(90 * time.Minute)})
		if err != nil {
			t.Fatalf("FindMeetings: %v", err)
		}
		sameIDs(t, "FindMeetings after reopen", list, m2.ID, m1.ID)
		pending, err := s.FindPendingMeetings(t.Context())
		if err != nil {
			t.Fatalf("FindPendingMeetings: %v", err)
		}
		sameIDs(t, "FindPendingMeetings after reopen", pending, m2.ID)

		gotP, err := s.FindParticipant(t.Context(), wsA, m1.ID, "U1")
		if err != nil {
			t.Fatalf("FindParticipant: %v", err)
		}
		sameParticipant(t, gotP, p)
		gotU, err := s.FindUser(t.Context(), u.Key)
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		sameUser(t, gotU, u)
		gotW, err := s.FindWorkspace(t.Context(), wsA)
		if err != nil {
			t.Fatalf("FindWorkspace: %v", err)
		}
		sameWorkspace(t, gotW, w)
		gotS, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return []byte("regenerated"), nil })
		if err != nil || !bytes.Equal(gotS, secret) {
			t.Fatalf("Secret after reopen = %q, %v; want %q", gotS, err, secret)
		}

		next := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		for _, id := range []string{m1.ID, m2.ID, gone.ID} {
			if !idLess(id, next) {
				t.Fatalf("id after reopen %q is not above earlier id %q", next, id)
			}
		}
		if id := create(t, s, newMeeting(wsB, "C1", base, time.Hour)).ID; !idLess(mb.ID, id) {
			t.Fatalf("id after reopen in %s = %q, not above %q", wsB, id, mb.ID)
		}
	})
	// Ensure due jobs in every state, and their indexes, survive a reopen.
	t.Run("JobsSurviveReopen", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := open(t, dir)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		mb := create(t, s, newMeeting(wsB, "C1", base, time.Hour)).ID
		done, claimed, retried, pending := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(2)), kindJob(wsA, m, 3, at(3)), kindJob(wsA, m, 4, at(40))
		other := kindJob(wsB, mb, 1, at(30))
		planJobs(t, s, wsA, m, done, claimed, retried, pending)
		planJobs(t, s, wsB, mb, other)
		claim(t, s, at(3), 10, "w1", rescue)
		if err := s.CompleteJob(t.Context(), done.ID, "w1", at(4), "ref"); err != nil {
			t.Fatal(err)
		}
		if err := s.RetryJob(t.Context(), retried.ID, "w1", at(20), "boom"); err != nil {
			t.Fatal(err)
		}
		before := findJobs(t, s, wsA, m)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		s = open(t, dir)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		after := findJobs(t, s, wsA, m)
		sameJobIDs(t, "after reopen", after, before...)
		for i := range before {
			sameJob(t, after[i], before[i])
		}
		sameJobIDs(t, "other workspace after reopen", findJobs(t, s, wsB, mb), other)
		wantNext(t, s, rescue, at(3).Add(rescue))
		wantNext(t, s, time.Hour, at(20))
		sameJobIDs(t, "claim after reopen", claim(t, s, at(30), 10, "w2", rescue), claimed, retried, other)
		sameJobIDs(t, "claim later", claim(t, s, at(40), 10, "w2", time.Hour), pending)
		planJobs(t, s, wsA, m, done, pending)
		sameJobIDs(t, "re-plan after reopen", findJobs(t, s, wsA, m), done, pending)
	})
}
