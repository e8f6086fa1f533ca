package command

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core/recur"
)

// TestParseRepeating covers schedule with a repetition: the phrasings, the
// title split, the options in any order, and the first start (Context.Now
// is Wed 2026-11-25 10:00 in New York).
func TestParseRepeating(t *testing.T) {
	const weekdays = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
	const thu930 = "2026-11-26T09:30:00-05:00"
	cases := []struct {
		in    string
		want  Command
		start string
		note  string // a substring StartNote must have; "" means none
	}{
		{in: "schedule standup weekdays 9:30 for 15m", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays, Duration: 15 * time.Minute}},
		{in: "schedule standup every day 9am", start: "2026-11-26T09:00:00-05:00", want: Command{Title: "standup", Recurrence: "FREQ=DAILY"}},
		{in: "schedule standup daily 9am", start: "2026-11-26T09:00:00-05:00", want: Command{Title: "standup", Recurrence: "FREQ=DAILY"}},
		{in: "schedule Standup every day 9am", start: "2026-11-26T09:00:00-05:00", want: Command{Title: "Standup", Recurrence: "FREQ=DAILY"}},
		{in: "schedule review every monday 10:00", start: "2026-11-30T10:00:00-05:00", want: Command{Title: "review", Recurrence: "FREQ=WEEKLY;BYDAY=MO"}},
		{in: "schedule sync every 2 weeks on tue,thu 16:00", start: "2026-11-26T16:00:00-05:00",
			want: Command{Title: "sync", Recurrence: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"}},
		{in: "schedule sync every 2 weeks on tue and thu at 4:30 pm", start: "2026-11-26T16:30:00-05:00",
			want: Command{Title: "sync", Recurrence: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"}},
		{in: "schedule board every month on the 1st 9:00", start: "2026-12-01T09:00:00-05:00",
			want: Command{Title: "board", Recurrence: "FREQ=MONTHLY;BYMONTHDAY=1"}},
		{in: "schedule board monthly on the 15th at 5pm", start: "2026-12-15T17:00:00-05:00",
			want: Command{Title: "board", Recurrence: "FREQ=MONTHLY;BYMONTHDAY=15"}},
		{in: "schedule demo monthly on the last friday 16:00", start: "2026-11-27T16:00:00-05:00",
			want: Command{Title: "demo", Recurrence: "FREQ=MONTHLY;BYDAY=-1FR"}},
		{in: "schedule standup every weekday at 9:30", start: thu930, want: Command{Title: "standup", Recurrence: weekdays}},
		{in: "schedule standup 9:30 weekdays", start: thu930, want: Command{Title: "standup", Recurrence: weekdays}},
		{in: "schedule 1:1 mondays 10:00", start: "2026-11-30T10:00:00-05:00", want: Command{Title: "1:1", Recurrence: "FREQ=WEEKLY;BYDAY=MO"}},
		{in: "schedule retro every other week on friday at 4pm", start: "2026-11-27T16:00:00-05:00",
			want: Command{Title: "retro", Recurrence: "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"}},
		{in: `schedule "Daily standup" weekdays 9:30`, start: thu930, want: Command{Title: "Daily standup", Recurrence: weekdays}},
		{in: "schedule coffee every day 10:00", start: "2026-11-25T10:00:00-05:00", // at Context.Now counts
			want: Command{Title: "coffee", Recurrence: "FREQ=DAILY"}},
		{in: "schedule standup weekdays morning", start: "2026-11-26T08:00:00-05:00", note: "8:00 AM",
			want: Command{Title: "standup", Recurrence: weekdays}},
		{in: "schedule sync monthly on the 31st 9am", start: "2026-12-31T09:00:00-05:00", note: "Months without that day are skipped",
			want: Command{Title: "sync", Recurrence: "FREQ=MONTHLY;BYMONTHDAY=31"}},

		// ends and options, in any order
		{in: "schedule standup weekdays 9:30 until 2027-06-30", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays + ";UNTIL=20270701T035959Z"}},
		{in: "schedule standup weekdays 9:30 for 10 times", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays + ";COUNT=10"}},
		{in: "schedule standup weekdays 9:30 for 10 times for 15m with @ana private", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays + ";COUNT=10", Duration: 15 * time.Minute, Users: []string{"ana"}, Private: true}},
		{in: "schedule standup for 15m weekdays 9:30 until jun 30", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays + ";UNTIL=20270701T035959Z", Duration: 15 * time.Minute}},
		{in: "schedule standup with @bo weekdays 9:30 private FOR 3 TIMES", start: thu930,
			want: Command{Title: "standup", Recurrence: weekdays + ";COUNT=3", Users: []string{"bo"}, Private: true}},

		// raw rules
		{in: "schedule standup RRULE:FREQ=WEEKLY;BYDAY=MO 9:30", start: "2026-11-30T09:30:00-05:00",
			want: Command{Title: "standup", Recurrence: "FREQ=WEEKLY;BYDAY=MO"}},
		{in: "schedule standup rrule:freq=weekly;byday=mo;count=3 9:30", start: "2026-11-30T09:30:00-05:00",
			want: Command{Title: "standup", Recurrence: "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}},
		{in: "schedule standup RRULE:FREQ=WEEKLY;BYDAY=MO 2027-01-04 9:30", start: "2027-01-04T09:30:00-05:00",
			want: Command{Title: "standup", Recurrence: "FREQ=WEEKLY;BYDAY=MO"}},

		// one-off meetings whose titles merely contain such words
		{in: "schedule Daily tomorrow 9am", start: "2026-11-26T09:00:00-05:00", want: Command{Title: "Daily"}},
		{in: "schedule wait until friday tomorrow 3pm", start: "2026-11-26T15:00:00-05:00", want: Command{Title: "wait until friday"}},
		{in: "schedule planning for 10 times tomorrow 3pm", start: "2026-11-26T15:00:00-05:00", want: Command{Title: "planning for 10 times"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			c := testContext(t)
			got, err := Parse(tc.in, c)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			want := tc.want
			want.Verb = VerbSchedule
			if start := rfc(t, tc.start); !got.Start.Equal(start) || got.Start.Location() != c.Location {
				t.Errorf("Start = %v, want %v", got.Start, start)
			}
			if (tc.note == "") != (got.StartNote == "") || !strings.Contains(got.StartNote, tc.note) {
				t.Errorf("StartNote = %q, want %q", got.StartNote, tc.note)
			}
			if got.Recurrence != "" {
				checkSeries(t, got, c)
			}
			got.Start, got.StartNote = time.Time{}, ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, got, want)
			}
		})
	}
}

// checkSeries checks the promises a repeating Command keeps: the rule
// validates, and Start is the rule's first meeting, not before Now.
func checkSeries(t testing.TB, cmd Command, c Context) {
	t.Helper()
	if err := recur.Validate(cmd.Recurrence, cmd.Start); err != nil {
		t.Fatalf("%+v: rule does not validate: %v", cmd, err)
	}
	first, err := recur.After(cmd.Recurrence, cmd.Start, c.Location, cmd.Start.Add(-time.Second), 1)
	if err != nil || len(first) != 1 || !first[0].Equal(cmd.Start) {
		t.Fatalf("%+v: Start is not the first meeting (%v, %v)", cmd, first, err)
	}
	if cmd.Start.Before(c.Now) {
		t.Fatalf("%+v: Start before Now", cmd)
	}
}

// TestParseRepeatingDST checks series whose time of day the clocks skip or
// repeat on the first day: a skipped one starts the next day (a first start
// at the shifted 03:30 would move the whole series to 03:30) and says so.
func TestParseRepeatingDST(t *testing.T) {
	c := testContext(t)
	c.Now = time.Date(2027, 3, 13, 12, 0, 0, 0, c.Location)
	got, err := Parse("schedule early daily 2:30", c)
	if err != nil {
		t.Fatal(err)
	}
	if want := rfc(t, "2027-03-15T06:30:00Z"); !got.Start.Equal(want) || got.Recurrence != "FREQ=DAILY" {
		t.Errorf("Start = %v (%s), want %v", got.Start, got.Recurrence, want)
	}
	if want := "2:30 AM does not exist on Sun Mar 14 2027 in America/New_York (clocks jump forward), so the series starts on Mon Mar 15; on such days later it meets at 3:30 AM."; got.StartNote != want {
		t.Errorf("StartNote = %q", got.StartNote)
	}
	checkSeries(t, got, c)

	c.Now = time.Date(2027, 11, 6, 12, 0, 0, 0, c.Location)
	got, err = Parse("schedule late daily 1:30", c)
	if err != nil {
		t.Fatal(err)
	}
	if want := rfc(t, "2027-11-07T05:30:00Z"); !got.Start.Equal(want) || !strings.Contains(got.StartNote, "happens twice") {
		t.Errorf("Start = %v, note %q; want %v", got.Start, got.StartNote, want)
	}
	checkSeries(t, got, c)
}

func TestParseRepeatingErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"schedule standup weekdays", `At what time? Add a time of day after "weekdays", such as "/meet schedule standup weekdays 9:30"`},
		{"schedule sync mondays for 30m", "At what time?"},
		{"schedule standup monthly 9am", "which day of the month"},
		{"schedule standup weekly 9am", "which day of the week"},
		{"schedule standup every 0 days 9am", "from 1 to 366"},
		{"schedule standup monthly on the 32nd 9am", "no day 32"},
		{"schedule standup yearly 9am", "yearly"},
		{"schedule standup every monday tomorrow 3pm", `"every monday" repeats, so give it a time of day rather than a date`},
		{`schedule "Team" every monday tomorrow 3pm`, "repeats, so give it a time of day"},
		{"schedule weekdays 9:30", `Add a title before the time, such as "/meet schedule team sync weekdays 9:30"`},
		{"schedule sync tomorrow 3pm until friday", "end a repeating meeting"},
		{"schedule sync tomorrow 3pm for 10 times", "end a repeating meeting"},
		{"schedule sync weekdays 9:30 for 2000 times", "from 1 to 1000 meetings"},
		{"schedule sync weekdays 9:30 for 0 times", "from 1 to 1000 meetings"},
		{"schedule sync weekdays 9:30 until dec 1 for 3 times", "not both"},
		{"schedule sync for 2 times weekdays 9:30 for 3 times", "only once"},
		{"schedule sync until dec 1 weekdays 9:30 until dec 2", "only once"},
		{"schedule sync weekdays 9:30 until", "Until when?"},
		{"schedule sync weekdays 9:30 until blah", `I couldn't read "blah" as the series' last day`},
		{"schedule sync weekdays 9:30 until yesterday", "in the past"},
		{"schedule sync every monday 10:00 until nov 28", "before its first meeting on Mon Nov 30 2026"},
		{"schedule sync RRULE:FREQ=HOURLY 9:30", "at most once a day"},
		{"schedule sync RRULE:FREQ=DAILY;BYHOUR=9,17 9:30", "BYHOUR"},
		{"schedule sync RRULE:FREQ=DAILY;COUNT=3 9:30 for 2 times", "already says when the series ends"},
		{"schedule sync RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30 9:30", "never produces a date"},
		{"schedule sync RRULE:FREQ=DAILY;UNTIL=20200101 9:30", "before its first meeting"},
		{"schedule sync RRULE:FREQ=DAILY yesterday 9:30", "in the past"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in, testContext(t))
			assertUserError(t, err, tc.want)
		})
	}
}
