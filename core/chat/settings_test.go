package chat_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/internal/testenv"
)

func handleAs(t *testing.T, env *testenv.Env, a core.Actor, line string) chat.Reply {
	t.Helper()
	return chat.New(env.Service).Handle(context.Background(), a, line)
}

func platformAdmin(user string) core.Actor {
	a := testenv.Actor(user)
	a.IsAdmin = true
	return a
}

func mustOK(t *testing.T, r chat.Reply) chat.Reply {
	t.Helper()
	if !r.OK {
		t.Fatalf("reply failed: %+v", r)
	}
	return r
}

// TestSettingsShowAndChange checks the rendering of the settings, the
// one-sentence confirmations, and that a non-admin's change is refused
// with the store left as it was.
func TestSettingsShowAndChange(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := mustOK(t, handle(t, env, "ana", "/meet settings"))
	for _, s := range []string{"America/New_York (operator default)", "Reminders: 10 min before the start and at the start (operator default)",
		"Joining opens: 5 min before the start", "Who may schedule: everyone", "Only workspace admins can change these."} {
		if !strings.Contains(r.Text, s) {
			t.Errorf("settings lack %q:\n%s", s, r.Text)
		}
	}
	if r.Settings == nil || r.Settings.CanChange || r.Verb != "settings" {
		t.Fatalf("reply = %+v", r)
	}

	cases := []struct{ line, want string }{
		{"/meet settings zone Europe/Berlin", "Times of people who set no zone are now read in Europe/Berlin;"},
		{"/meet settings reminders 1h, 10m, 0", "Reminders now go out 1 h, 10 min before the start and at the start;"},
		{"/meet settings reminders off", "Reminders are now off for this workspace's meetings."},
		{"/meet settings reminders default", "Reminders now go out 10 min before the start and at the start (the operator's default);"},
		{"/meet settings early 0", "Joining now opens at the start."},
		{"/meet settings grace 15m", "Joining now closes 15 min after the end."},
		{"/meet settings dm on", "Reminders now also go by direct message"},
		{"/meet settings schedulers admins", "Now only workspace admins can schedule meetings here."},
		{"/meet settings admins add @bo <@U7|cy>", "@bo, @U7 are now meetbot admins"},
		{"/meet settings admins remove @U7", "@U7 is no longer a meetbot admin"},
	}
	for _, tc := range cases {
		r := mustOK(t, handleAs(t, env, platformAdmin("ad"), tc.line))
		if !strings.HasPrefix(r.Text, tc.want) || strings.Count(r.Text, ".") > 3 || strings.Contains(r.Text, "\n") {
			t.Errorf("%s: %q, want it to start with %q", tc.line, r.Text, tc.want)
		}
	}
	r = mustOK(t, handle(t, env, "bo", "/meet settings"))
	for _, s := range []string{"Time zone for people who set none: Europe/Berlin\n", "Joining opens: at the start\n", "by direct message to invitees and \"yes\" RSVPs: on",
		"workspace admins only", "meetbot admins: @bo, besides", "Change one with"} {
		if !strings.Contains(r.Text, s) {
			t.Errorf("settings lack %q:\n%s", s, r.Text)
		}
	}

	before, err := env.Store.FindWorkspace(context.Background(), testenv.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	r = handle(t, env, "ana", "/meet settings schedulers everyone")
	if r.OK || r.Err == nil || r.Err.Code != core.EFORBIDDEN || !strings.HasPrefix(r.Text, "Only workspace admins can change meetbot's settings.") {
		t.Fatalf("non-admin change: %+v", r)
	}
	r = handle(t, env, "ana", "/meet settings reminders 9d")
	if r.OK || r.Err.Code != core.EINVALID || !strings.Contains(r.Text, "at most 7 days") {
		t.Fatalf("bad value: %+v", r)
	}
	after, _ := env.Store.FindWorkspace(context.Background(), testenv.Workspace)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("refused commands changed the store:\n%+v\n%+v", before, after)
	}
}

// TestAdminsOnlySchedulingInChat checks the refusal sentence for a
// non-admin under "schedulers admins", and that a listed admin schedules
// and gains admin rights over others' meetings.
func TestAdminsOnlySchedulingInChat(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := mustOK(t, handle(t, env, "ana", "/meet schedule Ana's sync tomorrow 3pm"))
	mustOK(t, handleAs(t, env, platformAdmin("ad"), "/meet settings schedulers admins"))
	mustOK(t, handleAs(t, env, platformAdmin("ad"), "/meet settings admins add @bo"))
	for _, line := range []string{"/meet schedule Sync tomorrow 4pm", "/meet now"} {
		r := handle(t, env, "cy", line)
		if r.OK || r.Err.Code != core.EFORBIDDEN || r.Text != "Only workspace admins can schedule meetings here. Ask an admin, or an admin can allow everyone with \"/meet settings schedulers everyone\"." {
			t.Fatalf("%s by a non-admin: %+v", line, r)
		}
	}
	mustOK(t, handle(t, env, "bo", "/meet schedule Bo's sync tomorrow 4pm"))
	// bo is a meetbot admin, so may cancel ana's meeting like a platform admin.
	mustOK(t, handle(t, env, "bo", "/meet cancel "+r.Meeting.ID))
	if r := handle(t, env, "cy", "/meet cancel 2"); r.OK || r.Err.Code != core.EFORBIDDEN {
		t.Fatalf("cancel by a non-admin: %+v", r)
	}
}

// TestZoneHintOnce checks that someone whose zone was assumed is told once,
// in the reply text and in Note, and that the hint names the workspace
// default when there is one; a person with a platform zone is never told.
func TestZoneHintOnce(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	const hintNY = "I read the time in America/New_York, meetbot's default here; set yours with \"/meet tz Area/City\"."
	r := mustOK(t, handle(t, env, "ana", "/meet schedule Sync tomorrow 3pm"))
	if r.Note != hintNY || !strings.HasSuffix(r.Text, "\n"+hintNY) {
		t.Fatalf("first schedule: note %q, text %q", r.Note, r.Text)
	}
	u, err := env.Store.FindUser(context.Background(), testenv.Actor("ana").User)
	if err != nil || !u.ZoneHinted || u.DisplayName != "User ana" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	for _, line := range []string{"/meet schedule Again tomorrow 4pm", "/meet now"} {
		if r := mustOK(t, handle(t, env, "ana", line)); r.Note != "" || strings.Contains(r.Text, "I read the time") {
			t.Fatalf("%s hinted again: %+v", line, r)
		}
	}
	// Other commands never hint.
	if r := mustOK(t, handle(t, env, "bo", "/meet list")); r.Note != "" {
		t.Fatalf("list hinted: %q", r.Note)
	}

	mustOK(t, handleAs(t, env, platformAdmin("ad"), "/meet settings zone Europe/Berlin"))
	r = mustOK(t, handle(t, env, "bo", "/meet schedule Sync tomorrow 9am"))
	const hintBerlin = "I read the time in Europe/Berlin, this workspace's default; set yours with \"/meet tz Area/City\"."
	if r.Note != hintBerlin || !strings.HasSuffix(r.Text, "\n"+hintBerlin) {
		t.Fatalf("workspace zone hint: note %q", r.Note)
	}
	if want := time.Date(2026, 11, 26, 9, 0, 0, 0, testenv.MustZone("Europe/Berlin")); !r.Meeting.Start.Equal(want) {
		t.Fatalf("start = %v, want %v", r.Meeting.Start, want)
	}

	cy := testenv.Actor("cy")
	cy.TimeZone = "Asia/Tokyo"
	if r := mustOK(t, handleAs(t, env, cy, "/meet schedule Sync tomorrow 9am")); r.Note != "" || r.Meeting.TimeZone != "Asia/Tokyo" {
		t.Fatalf("platform zone: note %q, zone %s", r.Note, r.Meeting.TimeZone)
	}
	if _, err := env.Store.FindUser(context.Background(), cy.User); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a platform-zone user was stored: %v", err)
	}
	// A failed schedule does not use up the hint.
	if r := handle(t, env, "di", "/meet schedule Sync yesterday 9am"); r.OK || r.Note != "" {
		t.Fatalf("failed schedule: %+v", r)
	}
	if r := mustOK(t, handle(t, env, "di", "/meet now")); r.Note != hintBerlin {
		t.Fatalf("di's first meeting: note %q", r.Note)
	}
}
