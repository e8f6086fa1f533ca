package command

import (
	"slices"
	"strings"
	"testing"
)

// TestTitlesWithRepeatWords checks that repeat words in an unquoted title
// stay title text when the rest of the line is a valid rule, and that the
// lines the grammar cannot tell apart name the way out: quoting the title.
func TestTitlesWithRepeatWords(t *testing.T) {
	c := testContext(t)
	ok := []struct{ in, title, rule string }{
		{"schedule Weekly sync every monday 10:00", "Weekly sync", "FREQ=WEEKLY;BYDAY=MO"},
		{"schedule monthly every month on the 1st 9:00", "monthly", "FREQ=MONTHLY;BYMONTHDAY=1"},
		{"schedule weekly planning weekly on monday 9:00", "weekly planning", "FREQ=WEEKLY;BYDAY=MO"},
		{"schedule Daily standup every day 9am", "Daily standup", "FREQ=DAILY"},
		{"schedule daily every weekday 9am", "daily", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
		{"schedule Every day counts every friday 16:00", "Every day counts", "FREQ=WEEKLY;BYDAY=FR"},
		{"schedule until the end every friday 16:00", "until the end", "FREQ=WEEKLY;BYDAY=FR"},
		{"schedule Weekly tomorrow 3pm", "Weekly", ""},
		{`schedule "monthly" tomorrow 9am`, "monthly", ""},
	}
	for _, tc := range ok {
		cmd, err := Parse(tc.in, c)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if cmd.Title != tc.title || cmd.Recurrence != tc.rule {
			t.Errorf("%q: title %q rule %q, want %q and %q", tc.in, cmd.Title, cmd.Recurrence, tc.title, tc.rule)
		}
		if tc.rule != "" {
			checkSeries(t, cmd, c)
		}
	}
	bad := []struct{ in, want string }{
		// Nothing shorter is a valid rule: the repetition's own words are named.
		{"schedule Weekly sync every 2 weeks 9am", `"every 2 weeks"`},
		{"schedule standup monthly 9am", `day of the month "monthly"`},
		// A one-off titled "monthly", or a series missing its day?
		{"schedule monthly 9am", `quote the title, such as "/meet schedule \"monthly\" tomorrow 9am"`},
		{"schedule standup weekly tomorrow 3pm", "quote the title"},
		// "until" before the time reads as the last day; it may be title text.
		{"schedule wait until friday every monday 10:00", `If "until …" is part of the title, quote the title`},
	}
	for _, tc := range bad {
		_, err := Parse(tc.in, c)
		assertUserError(t, err, tc.want)
	}
}

// TestPastUntilNamesTheDay checks that a last day already past is named as
// such, with a later day to use, and not read as a start time (no clock
// time, no "tomorrow 3pm").
func TestPastUntilNamesTheDay(t *testing.T) {
	c := testContext(t) // Wed Nov 25 2026
	for _, in := range []string{
		"schedule standup every day 9am until 2026-11-01",
		"schedule standup until 2026-11-01 every day 9am",
		"schedule standup every day 9am for 15m until 2026-11-01 with @ana",
	} {
		_, err := Parse(in, c)
		assertUserError(t, err, `The series' last day, Sun Nov 1 2026, has already passed. Pick a later day, such as "/meet schedule standup weekdays 9:30 until dec 25".`)
		if e := err.Error(); containsAny(e, "AM", "PM", "tomorrow 3pm") {
			t.Errorf("%q: %q reads the day as a start time", in, e)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

// TestFromDay checks "from <day>" and "starting <day>": the first meeting is
// the rule's first on or after that day, the day is checked as "until" is,
// and a title word "from" stays title text.
func TestFromDay(t *testing.T) {
	c := testContext(t) // Wed Nov 25 2026
	ok := []struct{ in, title, start string }{
		{"schedule standup every monday 10:00 from jan 11", "standup", "2027-01-11T10:00:00-05:00"},
		{"schedule standup every monday 10:00 from jan 12", "standup", "2027-01-18T10:00:00-05:00"},
		{"schedule standup starting on 2027-01-11 every day 9am for 3 times", "standup", "2027-01-11T09:00:00-05:00"},
		{"schedule Notes from the field every monday 10:00", "Notes from the field", "2026-11-30T10:00:00-05:00"},
		{"schedule standup every monday 10:00 from today", "standup", "2026-11-30T10:00:00-05:00"},
	}
	for _, tc := range ok {
		cmd, err := Parse(tc.in, c)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if cmd.Title != tc.title || !cmd.Start.Equal(rfc(t, tc.start)) {
			t.Errorf("%q: title %q start %v, want %q %s", tc.in, cmd.Title, cmd.Start, tc.title, tc.start)
		}
		checkSeries(t, cmd, c)
	}
	bad := []struct{ in, want string }{
		{"schedule standup every monday 10:00 from 2026-11-01", "The series' first day, Sun Nov 1 2026, has already passed."},
		{"schedule standup every monday 10:00 from jan 11 until jan 5", "before its first meeting on Mon Jan 11 2027"},
		{"schedule standup every monday 10:00 from", "Put the first day after \"from\""},
		{"schedule standup every monday 10:00 starting someday", "as the series' first day"},
		{"schedule call tomorrow 3pm from jan 11", "set a repeating meeting's first day"},
	}
	for _, tc := range bad {
		_, err := Parse(tc.in, c)
		assertUserError(t, err, tc.want)
	}
}
