package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestInviteRemoveSayWhatChanged checks that invite and remove replies say
// exactly what changed, person by person, and that a change of nothing
// leaves the stored meeting as it was.
func TestInviteRemoveSayWhatChanged(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	mustOK(t, handle(t, env, "ana", "/meet schedule Design review tomorrow 3pm"))
	mustOK(t, handle(t, env, "ana", "/meet schedule Secret tomorrow 4pm private"))
	steps := []struct{ line, want string }{
		{"/meet invite 1 @bo", `Invited @bo to meeting 1, "Design review".`},
		{"/meet invite 1 @bo", `@bo was already invited to meeting 1, "Design review"; nothing changed.`},
		{"/meet invite 1 @bo @cy", `Invited @cy to meeting 1, "Design review". @bo was already invited.`},
		{"/meet remove 1 @bo", `Removed @bo from meeting 1, "Design review". They get no new links`},
		{"/meet remove 1 @bo", `@bo was already removed from meeting 1.`},
		{"/meet remove 1 @zed", `@zed was not invited to meeting 1, "Design review", but could join it from the channel; now they can't.`},
		{"/meet remove 2 @zed", `@zed was not invited to meeting 2, "Secret", so nothing changed for them.`},
		{"/meet invite 1 @bo", `Invited @bo to meeting 1`}, // lifts the removal
	}
	for _, st := range steps {
		before, _ := env.Store.FindMeetingByID(context.Background(), testenv.Workspace, "2")
		r := mustOK(t, handle(t, env, "ana", st.line))
		if !strings.HasPrefix(r.Text, st.want) {
			t.Errorf("%s:\n got %q\nwant %q", st.line, r.Text, st.want)
		}
		if strings.HasPrefix(st.line, "/meet remove 2") {
			after, _ := env.Store.FindMeetingByID(context.Background(), testenv.Workspace, "2")
			if after.Version != before.Version || len(after.Removed) != 0 {
				t.Errorf("%s changed the meeting: %+v", st.line, after)
			}
		}
	}
	m, _ := env.Store.FindMeetingByID(context.Background(), testenv.Workspace, "1")
	if m.IsRemoved("bo") || !m.IsInvited("bo") || !m.IsRemoved("zed") {
		t.Errorf("meeting 1 after the steps: invitees %v removed %v", m.Invitees, m.Removed)
	}
}

// TestInviteAsHost checks "/meet invite <id> @a as host": the person becomes
// a co-host, gets the host preset on joining and may manage the meeting;
// only the organizer or an admin may make co-hosts.
func TestInviteAsHost(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	mustOK(t, handle(t, env, "ana", "/meet now Design review"))
	mustOK(t, handle(t, env, "ana", "/meet invite 1 @cy"))
	r := mustOK(t, handle(t, env, "ana", "/meet invite 1 @bo @cy as host"))
	if want := `Made @bo, @cy co-hosts of meeting 1, "Design review"`; !strings.HasPrefix(r.Text, want) {
		t.Errorf("got %q, want %q", r.Text, want)
	}
	r = mustOK(t, handle(t, env, "ana", "/meet invite 1 @bo as co-host"))
	if want := `@bo is already a host of meeting 1`; !strings.Contains(r.Text, "@bo is already a host") {
		t.Errorf("got %q, want %q", r.Text, want)
	}
	// A co-host may manage the meeting but not make co-hosts.
	mustOK(t, handle(t, env, "bo", "/meet invite 1 @dee"))
	if r := handle(t, env, "bo", "/meet invite 1 @dee as host"); r.OK || r.Err.Code != core.EFORBIDDEN || !strings.Contains(r.Text, "Only the organizer") {
		t.Errorf("co-host made a co-host: %+v", r)
	}
	// The co-host joins with the host preset, an invitee with the participant one.
	for user, preset := range map[string]string{"bo": "group_call_host", "dee": "group_call_participant"} {
		mustOK(t, handle(t, env, user, "/meet join 1"))
		p, err := env.Store.FindParticipant(context.Background(), testenv.Workspace, "1", user)
		if err != nil || p.Preset != preset {
			t.Errorf("%s joined with %+v (%v), want preset %s", user, p, err, preset)
		}
	}
	// Made a co-host after joining as a participant: the next link is a host's.
	mustOK(t, handle(t, env, "ana", "/meet invite 1 @dee as host"))
	mustOK(t, handle(t, env, "dee", "/meet join 1"))
	if p, err := env.Store.FindParticipant(context.Background(), testenv.Workspace, "1", "dee"); err != nil || p.Preset != "group_call_host" {
		t.Errorf("dee after becoming a co-host: %+v (%v)", p, err)
	}
}
