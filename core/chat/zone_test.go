package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestZoneUnreadSaidEveryTime checks issue 10's item 24 at the shared
// layer: when the platform could not give a person's zone, every reply
// that read a time says which zone was used instead and how to set one,
// nothing is recorded about the person (no stored user, the one-time hint
// is not used up), and a zone they set wins without any note.
func TestZoneUnreadSaidEveryTime(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	mustOK(t, handleAs(t, env, platformAdmin("ad"), "/meet settings zone Europe/Paris"))
	paris := testenv.MustZone("Europe/Paris")
	ana := testenv.Actor("ana")
	ana.ZoneUnread = "Slack"
	const note = "I could not read your Slack time zone, so I used Europe/Paris; /meet tz sets yours."
	for i, line := range []string{"/meet schedule Sync tomorrow 3pm", "/meet schedule Again tomorrow 3pm", "/meet move 1 to tomorrow 4pm"} {
		r := mustOK(t, handleAs(t, env, ana, line))
		if r.Note != note || !strings.HasSuffix(r.Text, "\n"+note) {
			t.Fatalf("%d %s: note %q, text %q", i, line, r.Note, r.Text)
		}
		if r.Meeting.TimeZone != "Europe/Paris" || r.Meeting.Start.In(paris).Hour() < 15 {
			t.Fatalf("%s: start %v in %s", line, r.Meeting.Start, r.Meeting.TimeZone)
		}
	}
	// Commands that read no time say nothing.
	if r := mustOK(t, handleAs(t, env, ana, "/meet list")); r.Note != "" {
		t.Fatalf("list: note %q", r.Note)
	}
	if _, err := env.Store.FindUser(context.Background(), ana.User); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("the failed lookup was recorded on the user: %v", err)
	}
	// When the platform answers again and has no zone for her, she gets the
	// ordinary one-time hint: the failures did not use it up.
	ana.ZoneUnread = ""
	if r := mustOK(t, handleAs(t, env, ana, "/meet schedule Third tomorrow 5pm")); !strings.HasPrefix(r.Note, "I read the time in Europe/Paris") {
		t.Fatalf("hint after recovery: %q", r.Note)
	}
	// Her own zone wins, with no note even when the platform fails.
	ana.ZoneUnread = "Slack"
	mustOK(t, handleAs(t, env, ana, "/meet tz Asia/Tokyo"))
	r := mustOK(t, handleAs(t, env, ana, "/meet schedule Fourth tomorrow 3pm"))
	if r.Note != "" || r.Meeting.TimeZone != "Asia/Tokyo" {
		t.Fatalf("own zone: note %q zone %s", r.Note, r.Meeting.TimeZone)
	}
	if h := r.Meeting.Start.In(testenv.MustZone("Asia/Tokyo")).Hour(); h != 15 {
		t.Fatalf("own zone start hour %d", h)
	}
}
