package chat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestInfoAfterSkip checks that "/meet info" never shows a skipped
// occurrence as the current one, lists the next ones after it, and names
// the skipped dates.
func TestInfoAfterSkip(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{}) // Wed Nov 25 2026 14:00 New York
	mustOK(t, handle(t, env, "ana", "/meet schedule standup every day 9am"))
	mustOK(t, handle(t, env, "ana", "/meet skip 1"))        // Thu Nov 26
	mustOK(t, handle(t, env, "ana", "/meet skip 1 nov 28")) // Sat
	r := mustOK(t, handle(t, env, "ana", "/meet info 1"))
	for _, want := range []string{
		"When: Fri Nov 27 2026 at 09:00 EST",
		"Next: Sun Nov 29, 09:00 EST, Mon Nov 30, 09:00 EST,",
		"Skipped: Thu Nov 26, 09:00 EST, Sat Nov 28, 09:00 EST",
		"Join window: Fri Nov 27, 08:55 EST",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("info lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "When: Thu Nov 26") {
		t.Errorf("info shows the skipped occurrence:\n%s", r.Text)
	}
}

// TestCancelledMeetingOffersNoJoin checks that a cancelled or ended
// meeting offers neither joining from chat nor a calendar file.
func TestCancelledMeetingOffersNoJoin(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	mustOK(t, handle(t, env, "ana", "/meet schedule standup every day 9am"))
	mustOK(t, handle(t, env, "ana", "/meet schedule Review tomorrow 3pm"))
	if r := mustOK(t, handle(t, env, "ana", "/meet ics 1")); !strings.Contains(r.Text, ".ics") {
		t.Fatalf("ics of a live meeting: %q", r.Text)
	}
	mustOK(t, handle(t, env, "ana", "/meet cancel 1"))
	env.Clock.Advance(48 * time.Hour) // Review is over
	for id, want := range map[string]string{
		"1": `Meeting 1, "standup", was cancelled, so there is nothing to add to a calendar.`,
		"2": `Meeting 2, "Review", is over, so there is nothing to add to a calendar.`,
	} {
		r := handle(t, env, "ana", "/meet ics "+id)
		if r.OK || r.Err.Code != core.EENDED || r.Text != want || strings.Contains(r.Text, "/meet join") {
			t.Errorf("ics %s: %+v", id, r)
		}
	}
	r := mustOK(t, handle(t, env, "ana", "/meet info 1"))
	if strings.Contains(r.Text, "Join window") || strings.Contains(r.Text, "Next:") {
		t.Errorf("info of a cancelled meeting offers joining:\n%s", r.Text)
	}
}
