package chat_test

import (
	"strings"
	"testing"

	"github.com/meetbot/meetbot/internal/testenv"
)

// TestMoveWording checks the move reply reads as a sentence for a one-off
// meeting, one occurrence and a whole series, and that "all" on a one-off
// meeting moves it and says that "all" is for series.
func TestMoveWording(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{}) // Wed Nov 25 2026 14:00 New York
	mustOK(t, handle(t, env, "ana", "/meet schedule Design review tomorrow 3pm"))
	mustOK(t, handle(t, env, "ana", "/meet schedule standup every day 9am"))
	cases := []struct{ line, want, not string }{
		{"/meet move 1 to tomorrow 4pm", `Moved meeting 1, "Design review", from Thu Nov 26, 15:00 EST to Thu Nov 26 2026 at 16:00 EST`, "all"},
		{"/meet move 1 all to tomorrow 5pm", `Moved meeting 1, "Design review", from Thu Nov 26, 16:00 EST to Thu Nov 26 2026 at 17:00 EST`, ""},
		{"/meet move 2 to tomorrow 10am", `Moved one occurrence of "standup" (meeting 2) from Thu Nov 26, 09:00 EST to Thu Nov 26 2026 at 10:00 EST`, "all"},
		{"/meet move 2 all to sat 8am", `Moved the whole series "standup" (meeting 2) from`, ""},
	}
	for _, tc := range cases {
		r := mustOK(t, handle(t, env, "ana", tc.line))
		if !strings.Contains(r.Text, tc.want) || strings.Contains(r.Text, "Moved of") {
			t.Errorf("%s:\n got %q\nwant %q", tc.line, r.Text, tc.want)
		}
		if tc.not != "" && strings.Contains(r.Text, tc.not) {
			t.Errorf("%s: %q mentions %q", tc.line, r.Text, tc.not)
		}
	}
	r := handle(t, env, "ana", "/meet move 1 all to tomorrow 6pm")
	if !strings.Contains(r.Text, `"all" is for series; this meeting happens once`) {
		t.Errorf("all on a one-off meeting: %q", r.Text)
	}
}

// TestTitlesWithRepeatWordsSchedule runs the lines end to end: the
// title keeps its repeat words and the meeting repeats by the rule after it.
func TestTitlesWithRepeatWordsSchedule(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	for line, want := range map[string]string{
		"/meet schedule Weekly sync every monday 10:00":      `Scheduled "Weekly sync" as meeting `,
		"/meet schedule monthly every month on the 1st 9:00": `"monthly"`,
	} {
		r := mustOK(t, handle(t, env, "ana", line))
		if !strings.Contains(r.Text, want) || r.Meeting == nil || !r.Meeting.IsRecurring() {
			t.Errorf("%s: %q", line, r.Text)
		}
	}
}

// TestPastUntilReply checks the reply to a last day already past names it
// and suggests a later one, without a clock time or a start-time hint.
func TestPastUntilReply(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	r := handle(t, env, "ana", "/meet schedule standup every day 9am until 2026-11-01")
	if r.OK {
		t.Fatalf("accepted: %q", r.Text)
	}
	want := `The series' last day, Sun Nov 1 2026, has already passed. Pick a later day, such as "/meet schedule standup weekdays 9:30 until dec 25".`
	if r.Text != want {
		t.Errorf("got  %q\nwant %q", r.Text, want)
	}
}

// TestSeriesFromDay runs "from" and "starting" end to end: the series'
// first meeting is on the day typed, and a day already past is refused by
// name like a past "until".
func TestSeriesFromDay(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{}) // Wed Nov 25 2026
	for _, line := range []string{
		"/meet schedule standup every monday 10:00 from jan 11",
		"/meet schedule standup every monday 10:00 starting 2027-01-11",
	} {
		r := mustOK(t, handle(t, env, "ana", line))
		if !strings.Contains(r.Text, "Mon Jan 11 2027 at 10:00 EST") || r.Meeting.Title != "standup" || !r.Meeting.IsRecurring() {
			t.Errorf("%s: %q", line, r.Text)
		}
	}
	r := handle(t, env, "ana", "/meet schedule standup every monday 10:00 from 2026-11-01")
	if want := `The series' first day, Sun Nov 1 2026, has already passed. Pick a later day, such as "/meet schedule standup weekdays 9:30 from dec 25".`; r.OK || r.Text != want {
		t.Errorf("past from: %q", r.Text)
	}
}
