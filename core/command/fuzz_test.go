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
	for _, s := range []string{"/meet schedule team sync tomorrow 3pm for 45m with @ana private", "now", "tz Europe/Berlin"} {
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
		if cmd.Verb == VerbSchedule {
			if !cmd.Start.After(c.Now) || cmd.Start.After(c.Now.AddDate(timeparse.MaxYearsAhead, 0, 0)) {
				t.Fatalf("Parse(%q): start %v out of range", in, cmd.Start)
			}
			if cmd.Title == "" {
				t.Fatalf("Parse(%q): schedule without a title", in)
			}
		} else if !cmd.Start.IsZero() {
			t.Fatalf("Parse(%q): %s with a start", in, cmd.Verb)
		}
		for i, u := range cmd.Users {
			if u == "" || strings.ContainsAny(u, " @<>|") || slices.Contains(cmd.Users[:i], u) {
				t.Fatalf("Parse(%q): bad users %q", in, cmd.Users)
			}
		}
		if cmd.MeetingID != "" && !fuzzID.MatchString(cmd.MeetingID) {
			t.Fatalf("Parse(%q): bad id %q", in, cmd.MeetingID)
		}
		switch cmd.Verb {
		case VerbInfo, VerbCancel, VerbInvite, VerbRemove:
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
	})
}
