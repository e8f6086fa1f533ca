package command

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/timeparse"
)

var fuzzID = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)

// FuzzParse checks that Parse never panics, that every error is a one-line
// EINVALID message, and that every success is a sane Command.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/meet schedule team sync tomorrow 3pm for 45m with @ana private", "now", "tz Europe/Berlin",
		"schedule standup weekdays 9:30 for 15m until jun 30"} {
		f.Add(s)
	}
	c := testContext(f)
	c.MaxTitle = 50
	f.Fuzz(func(t *testing.T, in string) {
		cmd, err := Parse(in, c)
		if err != nil {
			e, ok := core.AsError(err)
			if !ok || e.Code != core.EINVALID || e.Message == "" || strings.ContainsAny(e.Message, "\r\n") {
				t.Fatalf("Parse(%q): bad error %#v", in, err)
			}
			return
		}
		if !slices.Contains(verbs(), cmd.Verb) {
			t.Fatalf("Parse(%q): unknown verb %q", in, cmd.Verb)
		}
		if n := utf8.RuneCountInString(cmd.Title); n > c.MaxTitle {
			t.Fatalf("Parse(%q): title of %d runes", in, n)
		}
		for _, r := range cmd.Title + cmd.Topic + cmd.MeetingID + cmd.TimeZone + strings.Join(cmd.Users, "") {
			if forbidden(r) {
				t.Fatalf("Parse(%q): control character %U in result %+v", in, r, cmd)
			}
		}
		if cmd.Duration < 0 || cmd.Duration > timeparse.MaxDuration || cmd.Duration%time.Minute != 0 {
			t.Fatalf("Parse(%q): duration %v", in, cmd.Duration)
		}
		checkStart(t, in, cmd, c)
		for i, u := range cmd.Users {
			if u == "" || strings.ContainsAny(u, " @<>|") || slices.Contains(cmd.Users[:i], u) {
				t.Fatalf("Parse(%q): bad users %q", in, cmd.Users)
			}
		}
		if cmd.MeetingID != "" && !fuzzID.MatchString(cmd.MeetingID) {
			t.Fatalf("Parse(%q): bad id %q", in, cmd.MeetingID)
		}
		switch cmd.Verb {
		case VerbInfo, VerbCancel, VerbInvite, VerbRemove, VerbSkip, VerbMove, VerbRSVP, VerbICS:
			if cmd.MeetingID == "" {
				t.Fatalf("Parse(%q): %s without an id", in, cmd.Verb)
			}
		case VerbTZ:
			if _, err := time.LoadLocation(cmd.TimeZone); err != nil || cmd.TimeZone == "" || cmd.TimeZone == "Local" {
				t.Fatalf("Parse(%q): bad zone %q", in, cmd.TimeZone)
			}
		}
		if (cmd.Verb == VerbInvite || cmd.Verb == VerbRemove) && len(cmd.Users) == 0 {
			t.Fatalf("Parse(%q): %s without users", in, cmd.Verb)
		}
		if (cmd.RSVP != "") != (cmd.Verb == VerbRSVP) || !slices.Contains([]string{"", "yes", "no", "maybe"}, cmd.RSVP) {
			t.Fatalf("Parse(%q): RSVP %q for %s", in, cmd.RSVP, cmd.Verb)
		}
		if (cmd.All && cmd.Verb != VerbMove) || (cmd.DateOnly && cmd.Verb != VerbSkip) || (cmd.AsHost && cmd.Verb != VerbInvite) {
			t.Fatalf("Parse(%q): All/DateOnly/AsHost on %s", in, cmd.Verb)
		}
		checkSetting(t, in, cmd)
	})
}

// checkStart checks Start, DateOnly and Recurrence for each verb: a one-off
// schedule or a move is after Now and within the parser's range, a series
// starts at or after Now on its own first meeting with a rule that
// validates, a skip names today or later (or nothing), and other verbs have
// no start.
func checkStart(t *testing.T, in string, cmd Command, c Context) {
	t.Helper()
	limit := c.Now.AddDate(timeparse.MaxYearsAhead, 0, 0)
	if cmd.Recurrence != "" && cmd.Verb != VerbSchedule {
		t.Fatalf("Parse(%q): %s with a recurrence", in, cmd.Verb)
	}
	switch {
	case cmd.Verb == VerbSchedule && cmd.Recurrence != "":
		if cmd.Start.After(limit) {
			t.Fatalf("Parse(%q): series start %v out of range", in, cmd.Start)
		}
		checkSeries(t, cmd, c)
	case cmd.Verb == VerbSchedule, cmd.Verb == VerbMove:
		if !cmd.Start.After(c.Now) || cmd.Start.After(limit) {
			t.Fatalf("Parse(%q): start %v out of range", in, cmd.Start)
		}
	case cmd.Verb == VerbSkip:
		day := c.Now.In(c.Location)
		today := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.Location)
		if !cmd.Start.IsZero() && (cmd.Start.Before(today) || cmd.Start.After(limit)) {
			t.Fatalf("Parse(%q): skip start %v out of range", in, cmd.Start)
		}
		if cmd.DateOnly && (cmd.Start.IsZero() || cmd.Start.In(c.Location).Hour() > 1) {
			t.Fatalf("Parse(%q): DateOnly with start %v", in, cmd.Start)
		}
	case !cmd.Start.IsZero():
		t.Fatalf("Parse(%q): %s with a start", in, cmd.Verb)
	}
	if cmd.Verb == VerbSchedule && cmd.Title == "" {
		t.Fatalf("Parse(%q): schedule without a title", in)
	}
}

// checkSetting checks that a settings change is only on the settings verb
// and holds values core accepts: a loadable zone, bounded reminder leads,
// margins within core.MaxJoinMargin, and mentions for admins.
func checkSetting(t *testing.T, in string, cmd Command) {
	t.Helper()
	c := cmd.Setting
	if c == nil {
		return
	}
	if cmd.Verb != VerbSettings {
		t.Fatalf("Parse(%q): a setting on %s", in, cmd.Verb)
	}
	if len(c.Reminders) > core.MaxReminders {
		t.Fatalf("Parse(%q): %d reminders", in, len(c.Reminders))
	}
	for _, d := range c.Reminders {
		if d < 0 || d > core.MaxReminderLead || d%time.Minute != 0 {
			t.Fatalf("Parse(%q): reminder %v", in, d)
		}
	}
	if c.Duration < 0 || c.Duration > core.MaxJoinMargin || c.Duration%time.Minute != 0 {
		t.Fatalf("Parse(%q): margin %v", in, c.Duration)
	}
	switch c.Name {
	case core.SettingZone:
		if !c.Default {
			if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" || c.TimeZone == "Local" {
				t.Fatalf("Parse(%q): bad zone %q", in, c.TimeZone)
			}
		}
	case core.SettingReminders:
		if !c.Default && c.Reminders == nil {
			t.Fatalf("Parse(%q): reminders without a list", in)
		}
	case core.SettingAdmins:
		users := append(slices.Clone(c.AddAdmins), c.RemoveAdmins...)
		if (len(c.AddAdmins) == 0) == (len(c.RemoveAdmins) == 0) || len(users) > core.MaxAdmins {
			t.Fatalf("Parse(%q): admins %+v", in, c)
		}
		for _, u := range users {
			if u == "" || strings.ContainsAny(u, " @<>|") {
				t.Fatalf("Parse(%q): bad admin %q", in, u)
			}
		}
	case core.SettingEarly, core.SettingGrace, core.SettingDM, core.SettingSchedulers:
	default:
		t.Fatalf("Parse(%q): unknown setting %q", in, c.Name)
	}
}
