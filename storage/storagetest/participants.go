package storagetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// token looks like a real participant token (JWT-ish, long, with every
// base64 and URL character) plus bytes a careless encoder might mangle.
var token = "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("aB0+/=_-", 150) + ".\u00e9\u2603\x01\"\\<>&"

func newParticipant(ws core.WorkspaceKey, meetingID, userID string) *core.Participant {
	return &core.Participant{
		Meeting:   meetingID,
		User:      core.UserKey{Workspace: ws, UserID: userID},
		RemoteID:  "rp-" + userID,
		CustomID:  "c0ffee-" + userID,
		Preset:    "group_call_participant",
		Name:      "Zoë " + userID,
		Token:     token,
		IssuedAt:  base.Add(-2 * time.Hour),
		UpdatedAt: base.Add(-time.Hour),
	}
}

func putParticipant(t *testing.T, s core.Store, p *core.Participant) {
	t.Helper()
	if err := s.PutParticipant(t.Context(), p); err != nil {
		t.Fatalf("PutParticipant(%s, %q): %v", p.User, p.Meeting, err)
	}
}

func listParticipants(t *testing.T, s core.Store, ws core.WorkspaceKey, meetingID string) []*core.Participant {
	t.Helper()
	ps, err := s.ListParticipants(t.Context(), ws, meetingID)
	if err != nil {
		t.Fatalf("ListParticipants(%s, %q): %v", ws, meetingID, err)
	}
	return ps
}

// sameParticipant compares with Equal for times and exactly for the rest.
func sameParticipant(t *testing.T, got, want *core.Participant) {
	t.Helper()
	g, w := *got, *want
	sameTime(t, "participant IssuedAt", g.IssuedAt, w.IssuedAt)
	sameTime(t, "participant UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	g.IssuedAt, w.IssuedAt, g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g.Token != w.Token {
		t.Fatalf("Token did not round-trip exactly: got %d bytes, want %d", len(g.Token), len(w.Token))
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("participant differs:\n got %+v\nwant %+v", g, w)
	}
}

func runParticipantTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure a participant can be put, found, listed, replaced and deleted, with its token intact.
	t.Run("ParticipantRoundTrip", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		p := newParticipant(wsA, m.ID, "U1")
		putParticipant(t, s, p)
		got, err := s.FindParticipant(t.Context(), wsA, m.ID, "U1")
		if err != nil {
			t.Fatalf("FindParticipant: %v", err)
		}
		sameParticipant(t, got, p)
		got.Token = "mutated"
		again, _ := s.FindParticipant(t.Context(), wsA, m.ID, "U1")
		sameParticipant(t, again, p)

		p2 := *p
		p2.Token, p2.Preset, p2.IssuedAt = "fresh-token", "group_call_host", base
		putParticipant(t, s, &p2)
		ps := listParticipants(t, s, wsA, m.ID)
		if len(ps) != 1 {
			t.Fatalf("after replacing, %d participants listed, want 1", len(ps))
		}
		sameParticipant(t, ps[0], &p2)

		if err := s.DeleteParticipant(t.Context(), wsA, m.ID, "U1"); err != nil {
			t.Fatalf("DeleteParticipant: %v", err)
		}
		_, err = s.FindParticipant(t.Context(), wsA, m.ID, "U1")
		wantCode(t, err, core.ENOTFOUND, "deleted participant")
		if err := s.DeleteParticipant(t.Context(), wsA, m.ID, "U1"); err != nil {
			t.Fatalf("DeleteParticipant of a missing one: %v", err)
		}
	})

	// Ensure participants are scoped by workspace and meeting, even when one meeting id prefixes another ("1", "12").
	t.Run("ParticipantsAreScoped", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var mids []string
		for range 12 {
			mids = append(mids, create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID)
		}
		first, last := mids[0], mids[len(mids)-1]
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			if id := create(t, s, newMeeting(ws, "C1", base, time.Hour)).ID; id != first {
				t.Fatalf("setup: first id in %s = %q, want %q", ws, id, first)
			}
		}
		putParticipant(t, s, newParticipant(wsA, first, "U1"))
		putParticipant(t, s, newParticipant(wsA, last, "U2"))
		putParticipant(t, s, newParticipant(wsB, first, "U3"))

		for _, c := range []struct {
			ws       core.WorkspaceKey
			mid, uid string
		}{{wsB, first, "U1"}, {wsC, first, "U1"}, {wsA, last, "U1"}, {wsA, first, "U2"}, {wsA, first, "nobody"}} {
			_, err := s.FindParticipant(t.Context(), c.ws, c.mid, c.uid)
			wantCode(t, err, core.ENOTFOUND, "participant "+c.uid+" of "+c.ws.String()+"/"+c.mid)
		}
		for _, c := range []struct {
			ws   core.WorkspaceKey
			mid  string
			want string
		}{{wsA, first, "U1"}, {wsA, last, "U2"}, {wsB, first, "U3"}, {wsC, first, ""}, {wsA, mids[1], ""}} {
			ps := listParticipants(t, s, c.ws, c.mid)
			var got string
			for _, p := range ps {
				got += p.User.UserID
				if p.User.Workspace != c.ws || p.Meeting != c.mid {
					t.Fatalf("ListParticipants(%s, %q) returned %s of meeting %q", c.ws, c.mid, p.User, p.Meeting)
				}
			}
			if got != c.want {
				t.Fatalf("ListParticipants(%s, %q) = %q, want %q", c.ws, c.mid, got, c.want)
			}
		}
		if err := s.DeleteParticipant(t.Context(), wsB, first, "U1"); err != nil {
			t.Fatalf("DeleteParticipant: %v", err)
		}
		if _, err := s.FindParticipant(t.Context(), wsA, first, "U1"); err != nil {
			t.Fatalf("deleting in %s removed the participant of %s: %v", wsB, wsA, err)
		}
	})

	// Ensure ListParticipants orders by user id.
	t.Run("ListParticipantsOrderedByUser", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		for _, u := range []string{"U30", "U1", "U200", "A9"} {
			putParticipant(t, s, newParticipant(wsA, m.ID, u))
		}
		var got []string
		for _, p := range listParticipants(t, s, wsA, m.ID) {
			got = append(got, p.User.UserID)
		}
		if want := []string{"A9", "U1", "U200", "U30"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("order %q, want %q", got, want)
		}
	})

	// Ensure a participant cannot be stored for a meeting that does not exist (it would outlive any delete).
	t.Run("PutParticipantNeedsMeeting", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour))
		err := s.PutParticipant(t.Context(), newParticipant(wsB, m.ID, "U1"))
		wantCode(t, err, core.ENOTFOUND, "participant for a meeting of another workspace")
		if err := s.DeleteMeeting(t.Context(), wsA, m.ID); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		err = s.PutParticipant(t.Context(), newParticipant(wsA, m.ID, "U1"))
		wantCode(t, err, core.ENOTFOUND, "participant for a deleted meeting")
	})
}
