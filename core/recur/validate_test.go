package recur

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ny := zone(t, "America/New_York")
	first := local(t, "2027-03-01 10:00", ny) // Monday
	ok := []string{
		"FREQ=DAILY",
		"FREQ=WEEKLY;BYDAY=MO",
		"freq=weekly;byday=mo,we", // RFC 5545 names are case-insensitive
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU",
		"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=1000",
		"FREQ=MONTHLY;BYMONTHDAY=1,15",
		"FREQ=MONTHLY;BYMONTHDAY=-1",
		"FREQ=MONTHLY;BYDAY=-1FR",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3",
		"FREQ=YEARLY;BYDAY=20MO",
		"FREQ=DAILY;UNTIL=20270301T150000Z", // ends on the first meeting itself
		"FREQ=DAILY;UNTIL=20270301",
		"FREQ=DAILY;COUNT=5;",
		"FREQ=DAILY;INTERVAL=7;BYDAY=MO", // every 7 days from a Monday: Mondays
	}
	for _, rule := range ok {
		if err := Validate(rule, first); err != nil {
			t.Errorf("Validate(%q): %v", rule, err)
		}
	}
	bad := []struct{ rule, want string }{
		{"", "empty"},
		{"FREQ=HOURLY", "at most once a day"},
		{"FREQ=MINUTELY;INTERVAL=30", "at most once a day"},
		{"FREQ=SECONDLY", "at most once a day"},
		{"FREQ=FORTNIGHTLY", "not a frequency"},
		{"BYDAY=MO", "needs FREQ"},
		{"FREQ=DAILY;COUNT=1001", "COUNT must be a whole number from 1 to 1000"},
		{"FREQ=DAILY;COUNT=0", "COUNT must be"},
		{"FREQ=DAILY;COUNT=-3", "COUNT must be"},
		{"FREQ=DAILY;INTERVAL=0", "INTERVAL must be"},
		{"FREQ=DAILY;INTERVAL=999999999999999999999", "INTERVAL must be"},
		{"FREQ=DAILY;UNTIL=20270228", "before its first meeting"},
		{"FREQ=DAILY;UNTIL=20270301T145959Z", "before its first meeting"},
		{"FREQ=DAILY;UNTIL=tomorrow", "not a date"},
		{"FREQ=DAILY;COUNT=3;UNTIL=20270401", "either COUNT or UNTIL"},
		{"RRULE:FREQ=DAILY", "prefix"},
		{"DTSTART:20270301T100000\nRRULE:FREQ=DAILY", "DTSTART"},
		{"FREQ=DAILY;DTSTART=20270301T100000", "DTSTART"},
		{"FREQ=DAILY;BYHOUR=9,17", "at most once a day"},
		{"FREQ=DAILY;BYMINUTE=0,30", "BYMINUTE"},
		{"FREQ=YEARLY;BYWEEKNO=1", "BYWEEKNO"},
		{"FREQ=YEARLY;BYEASTER=0", "BYEASTER"},
		{"FREQ=DAILY;X-NAME=1", "not a part"},
		{"FREQ=DAILY;FREQ=WEEKLY", "twice"},
		{"FREQ=DAILY;COUNT", "KEY=VALUE"},
		{"FREQ=DAILY;COUNT=2=3", "KEY=VALUE"},
		{"FREQ=DAILY BYDAY=MO", "only letters"},
		{"FREQ=WEEKLY;BYDAY=XX", "not a list of weekdays"},
		{"FREQ=WEEKLY;BYDAY=0MO", "not a list of weekdays"},
		{"FREQ=WEEKLY;BYDAY=1MO", "needs FREQ=MONTHLY"},
		{"FREQ=MONTHLY;BYDAY=6MO", "does not exist"},
		{"FREQ=WEEKLY;BYMONTHDAY=1", "does not go with FREQ=WEEKLY"},
		{"FREQ=MONTHLY;BYMONTHDAY=32", "out of range"},
		{"FREQ=MONTHLY;BYMONTH=13", "out of range"},
		{"FREQ=MONTHLY;BYSETPOS=1", "needs BYDAY"},
		{"FREQ=DAILY;BYSETPOS=1;BYDAY=MO", "does not go with FREQ=DAILY"},
		{"FREQ=WEEKLY;WKST=XY", "not a weekday"},
		{"FREQ=MONTHLY;BYMONTHDAY=x", "not a list of numbers"},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never produces a date"},
		{"FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31", "never produces a date"},
		{"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20", "never produces a date"},
		{"FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "never produces a date"},
		{"FREQ=DAILY;INTERVAL=7;BYDAY=TU", "never produces a date"},                 // every 7 days from a Monday
		{"FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "never produces a date"}, // 2027, 2031, …: never leap years
		{"FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20270330", "no date between"},
		{strings.Repeat("FREQ=DAILY;", 40), "too long"},
	}
	for _, tc := range bad {
		t.Run(tc.rule, func(t *testing.T) { userMessage(t, Validate(tc.rule, first), tc.want) })
	}
	userMessage(t, Validate("FREQ=DAILY", time.Time{}), "between the years")
	userMessage(t, Validate("FREQ=DAILY", time.Date(9500, 1, 1, 0, 0, 0, 0, time.UTC)), "between the years")
}

// TestValidateUsesFirstWallClock checks that an UNTIL without a zone is
// compared in first's location.
func TestValidateUsesFirstWallClock(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	first := local(t, "2027-03-01 00:30", berlin) // Feb 28 23:30Z
	if err := Validate("FREQ=DAILY;UNTIL=20270301", first); err != nil {
		t.Errorf("UNTIL on the first local day: %v", err)
	}
}

// TestEmptyRulesAreCheap checks that a rule that never matches is refused
// within milliseconds: the library alone would scan every day up to the
// year 9999 before giving up.
func TestEmptyRulesAreCheap(t *testing.T) {
	first := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	start := time.Now()
	for _, rule := range []string{
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20",
		"FREQ=DAILY;INTERVAL=7;BYDAY=TU",
	} {
		if err := Validate(rule, first); err == nil {
			t.Errorf("Validate(%q) accepted a rule without dates", rule)
		}
		if _, err := After(rule, first, time.UTC, first, 3); err == nil {
			t.Errorf("After(%q) accepted a rule without dates", rule)
		}
	}
	if d := time.Since(start); d > 30*time.Second { // an endless search, not a slow machine
		t.Errorf("empty rules took %v", d)
	}
}
