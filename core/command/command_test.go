package command

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone names in tests must not depend on the machine

	"github.com/meetbot/meetbot/core"
)

func testContext(t testing.TB) Context {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 2026-11-25 10:00 EST.
	return Context{Now: time.Date(2026, 11, 25, 10, 0, 0, 0, loc), Location: loc}
}

func rfc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseOK(t *testing.T) {
	const tomorrow3pm = "2026-11-26T15:00:00-05:00"
	cases := []struct {
		in    string
		want  Command
		start string // RFC 3339; schedule only
		note  bool   // StartNote must be set
	}{
		// help
		{in: "", want: Command{Verb: VerbHelp}},
		{in: "   ", want: Command{Verb: VerbHelp}},
		{in: "/meet", want: Command{Verb: VerbHelp}},
		{in: "/MEET help", want: Command{Verb: VerbHelp}},
		{in: "help schedule", want: Command{Verb: VerbHelp, Topic: "schedule"}},
		{in: "/meet HELP Times", want: Command{Verb: VerbHelp, Topic: "time"}},
		{in: "?", want: Command{Verb: VerbHelp}},

		// schedule: the title/time split
		{in: "/meet schedule team sync tomorrow 3pm for 45m with @ana @bo private", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "team sync", Duration: 45 * time.Minute, Users: []string{"ana", "bo"}, Private: true}},
		{in: "schedule team sync tomorrow 3pm", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "team sync"}},
		{in: "SCHEDULE Team Sync Tomorrow 3PM", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "Team Sync"}},
		{in: "schedule planning for Q3 tomorrow 3pm", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "planning for Q3"}},
		{in: "schedule prep for 2h session tomorrow 3pm", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "prep for 2h session"}},
		{in: "schedule noon sync tomorrow 3pm", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "noon sync"}},
		{in: "schedule monday planning friday 9am", start: "2026-11-27T09:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "monday planning"}},
		{in: "schedule sprint 12 dec 3 3pm", start: "2026-12-03T15:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "sprint 12"}},
		{in: "schedule 1:1 10:30", start: "2026-11-25T10:30:00-05:00", want: Command{Verb: VerbSchedule, Title: "1:1"}},
		{in: "schedule lunch at noon", start: "2026-11-25T12:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "lunch"}},
		{in: "schedule review next monday at 10:30 am", start: "2026-11-30T10:30:00-05:00", want: Command{Verb: VerbSchedule, Title: "review"}},
		{in: "schedule retro in 2 hours", start: "2026-11-25T12:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "retro"}},
		{in: "schedule board 2026-12-03 14:00", start: "2026-12-03T14:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "board"}},
		{in: "schedule standup 9am", start: "2026-11-26T09:00:00-05:00", note: true, want: Command{Verb: VerbSchedule, Title: "standup"}},
		{in: "schedule\tteam  sync\t tomorrow 3pm\n", start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "team sync"}},

		// schedule: quoting
		{in: `schedule "Team sync" tomorrow 3pm`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "Team sync"}},
		{in: `schedule "Retro 12/03 tomorrow" friday 9am`, start: "2026-11-27T09:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "Retro 12/03 tomorrow"}},
		{in: `schedule “Team sync” tomorrow 3pm private for 1h`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "Team sync", Duration: time.Hour, Private: true}},
		{in: `schedule "Team sync” tomorrow 3pm`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "Team sync"}},
		{in: `schedule 'Ana's sync' friday 9am`, start: "2026-11-27T09:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "Ana's sync"}},
		{in: `schedule ‘Q3’ tomorrow 3pm`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "Q3"}},
		{in: `schedule Ana's sync friday 9am`, start: "2026-11-27T09:00:00-05:00", want: Command{Verb: VerbSchedule, Title: "Ana's sync"}},
		{in: `schedule '90s party tomorrow 3pm`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "'90s party"}},
		{in: `schedule "for the team" with @ana tomorrow 3pm`, start: tomorrow3pm, want: Command{Verb: VerbSchedule, Title: "for the team", Users: []string{"ana"}}},

		// schedule: options in any order, after or before the time
		{in: "schedule sync tomorrow 3pm private with @ana for 1h30m", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Duration: 90 * time.Minute, Users: []string{"ana"}, Private: true}},
		{in: "schedule sync tomorrow 3pm with @ana for 1 hour 30 minutes private", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Duration: 90 * time.Minute, Users: []string{"ana"}, Private: true}},
		{in: "schedule sync tomorrow 3pm FOR 2 hours WITH @ana and @bo, @ana", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Duration: 2 * time.Hour, Users: []string{"ana", "bo"}}},
		{in: "schedule sync tomorrow 3pm with @ana with @bo", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Users: []string{"ana", "bo"}}},
		{in: "schedule sync with @bo tomorrow 3pm with @ana @bo", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Users: []string{"bo", "ana"}}},
		{in: "schedule sync with @ana for 45m tomorrow 3pm private", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Duration: 45 * time.Minute, Users: []string{"ana"}, Private: true}},
		{in: "schedule sync tomorrow 3pm with <@U123|bob smith> <@U123> <@!456> <@789> @ana.b-c_d", start: tomorrow3pm,
			want: Command{Verb: VerbSchedule, Title: "sync", Users: []string{"U123", "456", "789", "ana.b-c_d"}}},

		// schedule: DST notes pass through
		{in: "schedule early sync 2027-03-14 02:30", start: "2027-03-14T03:30:00-04:00", note: true, want: Command{Verb: VerbSchedule, Title: "early sync"}},

		// now
		{in: "now", want: Command{Verb: VerbNow}},
		{in: "now standup", want: Command{Verb: VerbNow, Title: "standup"}},
		{in: "now standup for 15m", want: Command{Verb: VerbNow, Title: "standup", Duration: 15 * time.Minute}},
		{in: "now planning for Q3", want: Command{Verb: VerbNow, Title: "planning for Q3"}},
		{in: "now planning for 2027", want: Command{Verb: VerbNow, Title: "planning for 2027"}},
		{in: `now "Team sync" for 1h`, want: Command{Verb: VerbNow, Title: "Team sync", Duration: time.Hour}},
		{in: "now for 30m", want: Command{Verb: VerbNow, Duration: 30 * time.Minute}},
		{in: "now coffee with @ana private", want: Command{Verb: VerbNow, Title: "coffee", Users: []string{"ana"}, Private: true}},

		// the rest
		{in: "list", want: Command{Verb: VerbList}},
		{in: "/meet LIST", want: Command{Verb: VerbList}},
		{in: "info k3x9p2", want: Command{Verb: VerbInfo, MeetingID: "k3x9p2"}},
		{in: "info #K3X-9p2", want: Command{Verb: VerbInfo, MeetingID: "K3X-9p2"}},
		{in: "join", want: Command{Verb: VerbJoin}},
		{in: "join #k3x9p2", want: Command{Verb: VerbJoin, MeetingID: "k3x9p2"}},
		{in: "cancel k3x9p2", want: Command{Verb: VerbCancel, MeetingID: "k3x9p2"}},
		{in: "invite k3x9p2 @ana <@U1> <@!22> @ana", want: Command{Verb: VerbInvite, MeetingID: "k3x9p2", Users: []string{"ana", "U1", "22"}}},
		{in: "remove #k3x9p2 @bo", want: Command{Verb: VerbRemove, MeetingID: "k3x9p2", Users: []string{"bo"}}},
		{in: "tz Europe/Berlin", want: Command{Verb: VerbTZ, TimeZone: "Europe/Berlin"}},
		{in: "tz America/Argentina/Buenos_Aires", want: Command{Verb: VerbTZ, TimeZone: "America/Argentina/Buenos_Aires"}},
		{in: "tz UTC", want: Command{Verb: VerbTZ, TimeZone: "UTC"}},
		{in: "tz Etc/GMT+5", want: Command{Verb: VerbTZ, TimeZone: "Etc/GMT+5"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			c := testContext(t)
			got, err := Parse(tc.in, c)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			want := tc.want
			if tc.start != "" {
				want.Start = rfc(t, tc.start)
				if !got.Start.Equal(want.Start) {
					t.Errorf("Start = %v, want %v", got.Start, want.Start)
				}
				if got.Start.Location() != c.Location {
					t.Errorf("Start location = %v", got.Start.Location())
				}
				if tc.note != (got.StartNote != "") {
					t.Errorf("StartNote = %q, want set=%v", got.StartNote, tc.note)
				}
			}
			got.Start, want.Start, got.StartNote = time.Time{}, time.Time{}, ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		// unknown verbs
		{"shedule team sync tomorrow 3pm", `Did you mean "/meet schedule"`},
		{"lsit", `"/meet list"`},
		{"foo", `Unknown command "foo". Try "/meet help".`},
		{"team sync tomorrow 3pm", `"/meet schedule team sync tomorrow 3pm"`},
		{`"schedule" x`, "Unknown command"},
		// schedule: title and time
		{"schedule", "Give a title and a time"},
		{"schedule monday 9am", `Add a title before the time, such as "/meet schedule team sync monday 9am"`},
		{"schedule with @ana tomorrow 3pm", "Add a title"},
		{`schedule "" tomorrow 3pm`, "Add a title"},
		{"schedule team sync", "couldn't find a start time"},
		{`schedule "Team sync"`, "couldn't find a start time after the title"},
		{`schedule "Team sync" blah`, "couldn't find a start time after the title"},
		{"schedule sync tomorrow 25:99", `"25:99"`},
		{"schedule sync yesterday 3pm", "in the past"},
		{"schedule sync today 9am", "already passed"},
		{"schedule sync 2020-01-01 10:00", "already passed"},
		{"schedule sync in 3 years", "2 years"},
		{"schedule sync 12/03 14:00", "two different dates"},
		{"schedule sync feb 30 10am", "no day 30"},
		{"schedule standup now", `"/meet now standup"`},
		{`schedule "x" now`, `"/meet now x"`},
		{"schedule sync tomorrow 3pm blah", `I didn't understand "blah"`},
		{`schedule "Team sync" blah tomorrow 3pm`, `I didn't understand "blah"`},
		// schedule: options
		{"schedule sync tomorrow 3pm for 0m", "at least 1 minute"},
		{"schedule sync tomorrow 3pm for -5m", "negative"},
		{"schedule sync tomorrow 3pm for 25h", "at most 24 h"},
		{"schedule sync tomorrow 3pm for soon", `couldn't read "soon" as a duration`},
		{"schedule sync tomorrow 3pm for", "Put a duration after"},
		{"schedule sync tomorrow 3pm for 1h for 2h", "only once"},
		{"schedule sync for 1h tomorrow 3pm for 2h", "only once"},
		{"schedule sync tomorrow 3pm with", `Mention people after "with"`},
		{"schedule sync tomorrow 3pm with bob", `"bob" is not a mention`},
		{"schedule sync tomorrow 3pm with @here", "not a person"},
		{"schedule sync tomorrow 3pm with <!channel>", "not a person"},
		{"schedule sync tomorrow 3pm with <@&123>", "not a person"},
		{"schedule sync tomorrow 3pm private please", `"please" after "private"`},
		{"schedule sync for 0m tomorrow 3pm", "at least 1 minute"},
		{"now sync for 0m", "at least 1 minute"},
		{"now sync for 30h", "at most 24 h"},
		{"now sync with @ana,bo", "not a mention"},
		{`now "sync" blah`, `I didn't understand "blah"`},
		// titles
		{"schedule " + strings.Repeat("x", 201) + " tomorrow 3pm", "at most 200 characters"},
		{"now " + strings.Repeat("é", 201), "at most 200 characters"},
		// input hygiene
		{"schedule sync tomorrow 3pm\nwith @a", "line break"},
		{"schedule sync\x00 tomorrow 3pm", "control character"},
		{"schedule sync\u202e tomorrow 3pm", "control character"},
		{"schedule sync \xff tomorrow 3pm", "not text"},
		{"schedule " + strings.Repeat("a ", 1001), "too long"},
		{`schedule "unterminated tomorrow 3pm`, "never closed"},
		{`schedule “unterminated tomorrow 3pm`, "never closed"},
		// ids and people
		{"info", "Which meeting?"},
		{"cancel", "Which meeting?"},
		{"info k3x9p2 extra", `Unexpected "extra" after "/meet info"`},
		{"info ab/cd", "not a meeting id"},
		{"info " + strings.Repeat("a", 33), "not a meeting id"},
		{"info #", "not a meeting id"},
		{`info "k3x9p2"`, "not a meeting id"},
		{"join a b", `Unexpected "b"`},
		{"invite", "Which meeting, and who?"},
		{"invite k3x9p2", "Who?"},
		{"invite @ana", "Give the meeting id before the people"},
		{"remove k3x9p2 bob", `"bob" is not a mention`},
		{"invite k3x9p2 @everyone", "not a person"},
		{"invite k3x9p2 <@U1", "not a mention"},
		{"invite k3x9p2 @", "not a mention"},
		{"invite k3x9p2 , and", "Mention at least one person"},
		// time zones
		{"tz", "Which time zone?"},
		{"tz Mars/Base", `"Mars/Base" is not a time zone I know. Use an IANA name such as "Europe/Berlin" or "America/New_York".`},
		{"tz europe/berlin", `Did you mean "Europe/Berlin"`},
		{"tz Local", "not a time zone"},
		{"tz ../../etc/passwd", "not a time zone"},
		{"tz /etc/localtime", "not a time zone"},
		{`tz ""`, "not a time zone"},
		{"tz Europe/Berlin now", `Unexpected "now"`},
		// the rest
		{"list all", `Unexpected "all" after "/meet list"`},
		{"help blah", "no help on"},
		{"help schedule now", `Unexpected "now"`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in, testContext(t))
			assertUserError(t, err, tc.want)
		})
	}
}

// hint matches the example every error message must carry.
var hint = regexp.MustCompile(`(Try|such as|Did you mean|Use an IANA name such as) "`)

func assertUserError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", want)
	}
	e, ok := core.AsError(err)
	if !ok || e.Code != core.EINVALID {
		t.Fatalf("want *core.Error EINVALID, got %#v", err)
	}
	if e.Message == "" || strings.ContainsAny(e.Message, "\r\n") {
		t.Errorf("message must be one non-empty line: %q", e.Message)
	}
	if !strings.Contains(e.Message, want) {
		t.Errorf("message %q does not contain %q", e.Message, want)
	}
	if !hint.MatchString(e.Message) {
		t.Errorf("message %q has no example", e.Message)
	}
	if len(e.Message) > 400 {
		t.Errorf("message is %d bytes: %q", len(e.Message), e.Message)
	}
}

func TestContextDefaults(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	got, err := Parse("schedule sync tomorrow 3pm", Context{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC); !got.Start.Equal(want) || got.Start.Location() != time.UTC {
		t.Errorf("nil Location: Start = %v, want %v", got.Start, want)
	}
	c := Context{Now: now, MaxTitle: 5}
	if _, err := Parse("schedule abcdef tomorrow 3pm", c); err == nil || !strings.Contains(core.ErrorMessage(err), "at most 5") {
		t.Errorf("MaxTitle 5: err = %v", err)
	}
	if _, err := Parse("schedule abcde tomorrow 3pm", c); err != nil {
		t.Errorf("MaxTitle 5, 5 runes: %v", err)
	}
}

// TestHelp checks that Help mentions every verb and that every complete
// example in it really parses.
func TestHelp(t *testing.T) {
	h := Help()
	for _, v := range verbs() {
		if !strings.Contains(h, "`/meet "+string(v)) {
			t.Errorf("Help does not show %q", v)
		}
	}
	examples := regexp.MustCompile("`(/meet [^`]*)`").FindAllStringSubmatch(h, -1)
	n := 0
	for _, m := range examples {
		if strings.ContainsAny(m[1], "<[") {
			continue // a grammar line, not an example
		}
		n++
		if _, err := Parse(m[1], testContext(t)); err != nil {
			t.Errorf("Help example %q does not parse: %v", m[1], err)
		}
	}
	if n < len(verbs()) {
		t.Errorf("Help has %d examples, want at least one per verb", n)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"list", "lsit", 1}, {"shedule", "schedule", 1}, {"foo", "now", 2}, {"abc", "", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// hostileLines are 2,000-byte lines built to make the title/time search
// work hard.
func hostileLines() []string {
	var out []string
	for _, rep := range []string{"a ", "1 ", "@a ", "with @a ", "for 1m ", "private ", "tomorrow ", "3pm ", `"a" `, "in 2 hours ", "x tomorrow 3pm with @a ",
		"weekdays ", "every monday ", "9:30 ", "until dec 1 ", "for 3 times ", "monthly on the 1st and ", "RRULE:FREQ=DAILY ", "x weekdays 9:30 for 3 times "} {
		for _, verb := range []string{"schedule ", "now ", "zz "} {
			out = append(out, verb+strings.Repeat(rep, (MaxInputBytes-len(verb))/len(rep)))
		}
	}
	return out
}

// TestHostileInputsAreBounded checks that hostile lines come back with an
// error and no panic. How long they take is measured by
// BenchmarkHostileInputs, not here, so a slow machine cannot fail the test.
func TestHostileInputsAreBounded(t *testing.T) {
	c := testContext(t)
	for _, in := range hostileLines() {
		if _, err := Parse(in, c); err == nil && !strings.HasPrefix(in, "now ") {
			t.Errorf("Parse(%q…) succeeded", in[:40])
		}
	}
}

// BenchmarkHostileInputs parses every hostile line once per op, against a
// baseline of as many ordinary schedule lines in the same run; the ratio
// says how much harder the worst input is than a normal one.
func BenchmarkHostileInputs(b *testing.B) {
	c := Context{Now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Location: time.UTC}
	lines := hostileLines()
	var baseNs float64
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			for range lines {
				_, _ = Parse("schedule team sync tomorrow 3pm for 30m", c)
			}
		}
		baseNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("hostile", func(b *testing.B) {
		for b.Loop() {
			for _, in := range lines {
				_, _ = Parse(in, c)
			}
		}
		if ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N); baseNs > 0 {
			b.ReportMetric(ns/baseNs, "x-baseline-time")
		}
	})
}
