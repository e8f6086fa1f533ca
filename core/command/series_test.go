package command

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseSeriesVerbs covers skip, move, rsvp and ics (Context.Now is Wed
// 2026-11-25 10:00 in New York).
func TestParseSeriesVerbs(t *testing.T) {
	cases := []struct {
		in    string
		want  Command
		start string // RFC 3339, or "" for the zero time
	}{
		{in: "skip 12", want: Command{Verb: VerbSkip, MeetingID: "12"}},
		{in: "/meet SKIP #12 friday", start: "2026-11-27T00:00:00-05:00", want: Command{Verb: VerbSkip, MeetingID: "12", DateOnly: true}},
		{in: "skip 12 on 2026-12-07", start: "2026-12-07T00:00:00-05:00", want: Command{Verb: VerbSkip, MeetingID: "12", DateOnly: true}},
		{in: "skip 12 today", start: "2026-11-25T00:00:00-05:00", want: Command{Verb: VerbSkip, MeetingID: "12", DateOnly: true}},
		{in: "skip k3x9p2 dec 24", start: "2026-12-24T00:00:00-05:00", want: Command{Verb: VerbSkip, MeetingID: "k3x9p2", DateOnly: true}},
		{in: "skip 12 tomorrow 9:30", start: "2026-11-26T09:30:00-05:00", want: Command{Verb: VerbSkip, MeetingID: "12"}},
		{in: "move 12 to tomorrow 4pm", start: "2026-11-26T16:00:00-05:00", want: Command{Verb: VerbMove, MeetingID: "12"}},
		{in: "move 12 tomorrow 4pm", start: "2026-11-26T16:00:00-05:00", want: Command{Verb: VerbMove, MeetingID: "12"}},
		{in: "move 12 all to monday 10:00", start: "2026-11-30T10:00:00-05:00", want: Command{Verb: VerbMove, MeetingID: "12", All: true}},
		{in: "MOVE #12 ALL TO friday 9am", start: "2026-11-27T09:00:00-05:00", want: Command{Verb: VerbMove, MeetingID: "12", All: true}},
		{in: "move 12 to in 2 hours", start: "2026-11-25T12:00:00-05:00", want: Command{Verb: VerbMove, MeetingID: "12"}},
		{in: "rsvp 12 yes", want: Command{Verb: VerbRSVP, MeetingID: "12", RSVP: "yes"}},
		{in: "RSVP 12 Maybe", want: Command{Verb: VerbRSVP, MeetingID: "12", RSVP: "maybe"}},
		{in: "rsvp #12 NO", want: Command{Verb: VerbRSVP, MeetingID: "12", RSVP: "no"}},
		{in: "ics 12", want: Command{Verb: VerbICS, MeetingID: "12"}},
		{in: "ics #k3x9p2", want: Command{Verb: VerbICS, MeetingID: "k3x9p2"}},
		{in: "help repeat", want: Command{Verb: VerbHelp, Topic: "repeat"}},
		{in: "help every", want: Command{Verb: VerbHelp, Topic: "repeat"}},
		{in: "help skip", want: Command{Verb: VerbHelp, Topic: "skip"}},
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
				if !got.Start.Equal(want.Start) || got.Start.Location() != c.Location {
					t.Errorf("Start = %v, want %v", got.Start, want.Start)
				}
			}
			got.Start, want.Start, got.StartNote = time.Time{}, time.Time{}, ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, got, want)
			}
		})
	}
}

func TestParseSeriesVerbErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"skip", `Which meeting? Add its id, such as "/meet skip 12 friday"`},
		{"skip ab/cd", "not a meeting id"},
		{"skip 12 blah", `I couldn't read "blah" as a day`},
		{"skip 12 yesterday", "in the past"},
		{"skip 12 2026-11-24", "already passed"},
		{"skip 12 today 9am", "already passed"},
		{"move", "Which meeting?"},
		{"move 12", `To when? Give the new time, such as "/meet move 12 to tomorrow 4pm"`},
		{"move 12 all to", "To when?"},
		{"move 12 to friday", `Give the new time of day as well as the day, such as "/meet move 12 to friday 10:00"`},
		{"move 12 to blah", `I couldn't read "blah" as the new time`},
		{"move 12 to yesterday 3pm", "in the past"},
		{"move 12 to in 3 years", "2 years"},
		{"rsvp", "Which meeting?"},
		{"rsvp 12", "Answer yes, no or maybe"},
		{"rsvp 12 going", `"going" is not an answer; reply yes, no or maybe`},
		{"rsvp 12 yes please", `Unexpected "please" after "/meet rsvp"`},
		{"ics", `Which meeting? Add its id, such as "/meet ics 12"`},
		{"ics 12 extra", `Unexpected "extra" after "/meet ics"`},
		{"skp 12", `Did you mean "/meet skip"`},
		{"mvoe 12 to 4pm", `Did you mean "/meet move"`},
		{"rsv 12 yes", `Did you mean "/meet rsvp"`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in, testContext(t))
			assertUserError(t, err, tc.want)
		})
	}
}

// TestHelpRepeat checks the repeat topic and that Help shows it.
func TestHelpRepeat(t *testing.T) {
	got := HelpTopic("repeat")
	for _, want := range []string{"weekdays 9:30", "every 2 weeks on tue,thu 16:00", "monthly on the 15th at 5pm", "until jun 30", "for 10 times", "RRULE:"} {
		if !strings.Contains(got, want) {
			t.Errorf("help repeat lacks %q: %q", want, got)
		}
	}
	if !strings.Contains(Help(), got) {
		t.Error("Help does not include the repeat topic")
	}
	// Every quoted phrase in the repeat help is a complete repetition.
	c := testContext(t)
	phrases := strings.Split(strings.SplitN(got, "\n", 2)[0], "\"")
	n := 0
	for i := 1; i < len(phrases); i += 2 { // the quoted parts
		n++
		if _, err := Parse("schedule x "+phrases[i], c); err != nil {
			t.Errorf("repeat help phrase %q does not parse: %v", phrases[i], err)
		}
	}
	if n < 8 {
		t.Errorf("repeat help has %d phrases", n)
	}
}
