package recur

import (
	"errors"
	"testing"
)

func TestParsePhrase(t *testing.T) {
	const weekdays = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
	cases := []struct{ in, want string }{
		{"daily", "FREQ=DAILY"},
		{"Every Day", "FREQ=DAILY"},
		{"each day", "FREQ=DAILY"},
		{"every 3 days", "FREQ=DAILY;INTERVAL=3"},
		{"every other day", "FREQ=DAILY;INTERVAL=2"},
		{"weekdays", weekdays},
		{"every weekday", weekdays},
		{"on weekdays", weekdays},
		{"weekends", "FREQ=WEEKLY;BYDAY=SA,SU"},
		{"every monday", "FREQ=WEEKLY;BYDAY=MO"},
		{"every Mon", "FREQ=WEEKLY;BYDAY=MO"},
		{"mondays", "FREQ=WEEKLY;BYDAY=MO"},
		{"on mondays", "FREQ=WEEKLY;BYDAY=MO"},
		{"every thursday and tuesday", "FREQ=WEEKLY;BYDAY=TU,TH"},
		{"every mon, wed, fri", "FREQ=WEEKLY;BYDAY=MO,WE,FR"},
		{"every tue/thu", "FREQ=WEEKLY;BYDAY=TU,TH"},
		{"tuesdays and thursdays", "FREQ=WEEKLY;BYDAY=TU,TH"},
		{"weekly on friday", "FREQ=WEEKLY;BYDAY=FR"},
		{"every week on weds", "FREQ=WEEKLY;BYDAY=WE"},
		{"every 2 weeks on tue,thu", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"},
		{"every two weeks on tue & thu", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"},
		{"every other week on friday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"},
		{"every 2 weeks on weekdays", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR"},
		{"monthly on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15"},
		{"every month on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1"},
		{"monthly on the 1st and 15th", "FREQ=MONTHLY;BYMONTHDAY=1,15"},
		{"monthly on the 1st and the 15th", "FREQ=MONTHLY;BYMONTHDAY=1,15"},
		{"monthly on 22", "FREQ=MONTHLY;BYMONTHDAY=22"},
		{"monthly on the first", "FREQ=MONTHLY;BYMONTHDAY=1"},
		{"monthly on the last day", "FREQ=MONTHLY;BYMONTHDAY=-1"},
		{"every month on the last day of the month", "FREQ=MONTHLY;BYMONTHDAY=-1"},
		{"every 3 months on the 13th", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=13"},
		{"every month on the first monday", "FREQ=MONTHLY;BYDAY=1MO"},
		{"monthly on the 2nd tuesday", "FREQ=MONTHLY;BYDAY=2TU"},
		{"monthly on the last friday", "FREQ=MONTHLY;BYDAY=-1FR"},
		{"monthly on the first monday and third monday", "FREQ=MONTHLY;BYDAY=1MO,3MO"},
		{"monthly on the last weekday", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"},
		{"RRULE:FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"},
		{"rrule:freq=monthly;byday=1mo;count=5", "FREQ=MONTHLY;BYDAY=1MO;COUNT=5"},
	}
	for _, tc := range cases {
		got, err := ParsePhrase(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePhrase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		if Describe(got, nil) == unreadable {
			t.Errorf("ParsePhrase(%q) = %q, which Describe cannot read", tc.in, got)
		}
	}

	// Not a repetition at all: the caller keeps looking.
	for _, in := range []string{"", "monday", "on monday", "tomorrow", "standup", "every", "every time", "each other",
		"daily standup", "every monday blah", "weekday", "every weekdays", "monthly on the 1st blah", "RRULE:FREQ=DAILY COUNT=2",
		"monthly on the 1rd", "on the 1st"} {
		if _, err := ParsePhrase(in); !errors.Is(err, ErrNotRecurrence) {
			t.Errorf("ParsePhrase(%q): want ErrNotRecurrence, got %v", in, err)
		}
	}

	// A repetition that cannot be used: the caller reports it.
	for _, tc := range []struct{ in, want string }{
		{"weekly", "which day of the week"},
		{"every 2 weeks", "which day of the week"},
		{"monthly", "which day of the month"},
		{"every month", "which day of the month"},
		{"every 0 days", "from 1 to 366"},
		{"every 400 weeks on monday", "from 1 to 366"},
		{"monthly on the 32nd", "no day 32"},
		{"monthly on the 6th monday", "at most five"},
		{"monthly on the second weekday", "first or the last weekday"},
		{"yearly", "yearly"},
		{"every year", "yearly"},
		{"RRULE:FREQ=HOURLY", "at most once a day"},
	} {
		_, err := ParsePhrase(tc.in)
		if errors.Is(err, ErrNotRecurrence) {
			t.Errorf("ParsePhrase(%q): not recognised, want an error about %q", tc.in, tc.want)
			continue
		}
		userMessage(t, err, tc.want)
	}
}
