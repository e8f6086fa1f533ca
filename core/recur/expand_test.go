package recur

import (
	"strings"
	"testing"
	"time"
)

// TestSeriesKeepWallClockAcrossDST checks daily and weekly series across
// both 2027 clock changes in New York and Berlin: the local time stays put,
// so the UTC instant moves by the hour.
func TestSeriesKeepWallClockAcrossDST(t *testing.T) {
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	cases := []struct {
		name  string
		rule  string
		first time.Time
		loc   *time.Location
		want  []string
	}{
		{"NY daily 09:30 over Mar 14", "FREQ=DAILY", local(t, "2027-03-12 09:30", ny), ny, []string{
			"2027-03-12T14:30:00Z", "2027-03-13T14:30:00Z", // EST
			"2027-03-14T13:30:00Z", "2027-03-15T13:30:00Z", // EDT
		}},
		{"NY daily 09:30 over Nov 7", "FREQ=DAILY", local(t, "2027-11-05 09:30", ny), ny, []string{
			"2027-11-05T13:30:00Z", "2027-11-06T13:30:00Z", // EDT
			"2027-11-07T14:30:00Z", "2027-11-08T14:30:00Z", // EST
		}},
		// The library notes' example: MO,WE 10:00 from Mon Mar 1, four in EST then six in EDT.
		{"NY weekly MO,WE 10:00 over Mar 14", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10", local(t, "2027-03-01 10:00", ny), ny, []string{
			"2027-03-01T15:00:00Z", "2027-03-03T15:00:00Z", "2027-03-08T15:00:00Z", "2027-03-10T15:00:00Z",
			"2027-03-15T14:00:00Z", "2027-03-17T14:00:00Z", "2027-03-22T14:00:00Z", "2027-03-24T14:00:00Z",
			"2027-03-29T14:00:00Z", "2027-03-31T14:00:00Z",
		}},
		{"NY weekly SU 09:00 over Nov 7", "FREQ=WEEKLY;BYDAY=SU", local(t, "2027-10-31 09:00", ny), ny, []string{
			"2027-10-31T13:00:00Z", "2027-11-07T14:00:00Z", "2027-11-14T14:00:00Z",
		}},
		{"Berlin daily 09:30 over Mar 28", "FREQ=DAILY", local(t, "2027-03-27 09:30", berlin), berlin, []string{
			"2027-03-27T08:30:00Z", "2027-03-28T07:30:00Z", "2027-03-29T07:30:00Z",
		}},
		{"Berlin daily 09:30 over Oct 31", "FREQ=DAILY", local(t, "2027-10-30 09:30", berlin), berlin, []string{
			"2027-10-30T07:30:00Z", "2027-10-31T08:30:00Z", "2027-11-01T08:30:00Z",
		}},
		{"Berlin weekly TU,TH 16:00 over Mar 28", "FREQ=WEEKLY;BYDAY=TU,TH", local(t, "2027-03-23 16:00", berlin), berlin, []string{
			"2027-03-23T15:00:00Z", "2027-03-25T15:00:00Z", "2027-03-30T14:00:00Z", "2027-04-01T14:00:00Z",
		}},
		{"Berlin weekly SU 02:30: the skipped hour", "FREQ=WEEKLY;BYDAY=SU", local(t, "2027-03-21 02:30", berlin), berlin, []string{
			"2027-03-21T01:30:00Z", "2027-03-28T01:30:00Z", "2027-04-04T00:30:00Z", // Mar 28: 03:30 CEST
		}},
		{"Berlin weekly SU 02:30: the repeated hour", "FREQ=WEEKLY;BYDAY=SU", local(t, "2027-10-24 02:30", berlin), berlin, []string{
			"2027-10-24T00:30:00Z", "2027-10-31T00:30:00Z", "2027-11-07T01:30:00Z", // Oct 31: the first, CEST
		}},
		// RFC 5545: a daily 02:30 in New York is at 03:30 EDT (07:30Z) on Mar 14, where
		// rrule-go alone (and time.Date) would say 01:30 EST.
		{"NY daily 02:30 over the gap", "FREQ=DAILY", local(t, "2027-03-13 02:30", ny), ny, []string{
			"2027-03-13T07:30:00Z", "2027-03-14T07:30:00Z", "2027-03-15T06:30:00Z",
		}},
		{"NY daily 01:30 over the repeated hour", "FREQ=DAILY", local(t, "2027-11-06 01:30", ny), ny, []string{
			"2027-11-06T05:30:00Z", "2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Between(tc.rule, tc.first, tc.loc, tc.first, tc.first.AddDate(0, 2, 0), len(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			sameInstants(t, got, tc.loc, tc.want...)
			// Expanding with first given in another zone changes nothing: only
			// its wall clock in loc matters.
			again, err := Between(tc.rule, tc.first.UTC(), tc.loc, tc.first, tc.first.AddDate(0, 2, 0), len(tc.want))
			if err != nil || len(again) != len(got) || !again[len(again)-1].Equal(got[len(got)-1]) {
				t.Errorf("first in UTC: %v, %v", again, err)
			}
		})
	}
}

// TestCountAndUntil checks where series end, for each form of UNTIL.
func TestCountAndUntil(t *testing.T) {
	ny := zone(t, "America/New_York")
	first := local(t, "2027-03-10 09:30", ny) // Wednesday
	far := first.AddDate(1, 0, 0)
	day := func(d int) string { return time.Date(2027, 3, d, 13, 30, 0, 0, time.UTC).Format(time.RFC3339) }
	est := func(d int) string { return time.Date(2027, 3, d, 14, 30, 0, 0, time.UTC).Format(time.RFC3339) }
	cases := []struct {
		rule string
		want []string
	}{
		{"FREQ=DAILY;COUNT=3", []string{est(10), est(11), est(12)}},
		{"FREQ=DAILY;COUNT=1", []string{est(10)}},
		{"FREQ=WEEKLY;BYDAY=MO,FR;COUNT=3", []string{est(12), day(15), day(19)}},
		// UNTIL as an instant is inclusive: the 12th starts exactly at 14:30Z.
		{"FREQ=DAILY;UNTIL=20270312T143000Z", []string{est(10), est(11), est(12)}},
		{"FREQ=DAILY;UNTIL=20270312T142959Z", []string{est(10), est(11)}},
		// As a date it includes that whole local day; as a floating time, a wall clock.
		{"FREQ=DAILY;UNTIL=20270315", []string{est(10), est(11), est(12), est(13), day(14), day(15)}},
		{"FREQ=DAILY;UNTIL=20270315T093000", []string{est(10), est(11), est(12), est(13), day(14), day(15)}},
		{"FREQ=DAILY;UNTIL=20270315T092959", []string{est(10), est(11), est(12), est(13), day(14)}},
		// What the command writes for "until mar 15": the end of that day in New York.
		{"FREQ=DAILY;UNTIL=20270316T035959Z", []string{est(10), est(11), est(12), est(13), day(14), day(15)}},
	}
	for _, tc := range cases {
		got, err := Between(tc.rule, first, ny, first.Add(-time.Hour), far, 100)
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		t.Run(tc.rule, func(t *testing.T) { sameInstants(t, got, ny, tc.want...) })
	}
}

// TestBetweenAndAfterBounds pins the edges: from is inclusive, to and t
// exclusive, limit and n cap the result, and first is a start only when the
// rule matches it.
func TestBetweenAndAfterBounds(t *testing.T) {
	ny := zone(t, "America/New_York")
	first := local(t, "2027-03-01 10:00", ny) // Monday
	const rule = "FREQ=WEEKLY;BYDAY=MO,WE"
	mar := func(d int) time.Time { return local(t, "2027-03-"+two(d)+" 10:00", ny) }

	got, _ := Between(rule, first, ny, mar(3), mar(10), 10)
	sameInstants(t, got, ny, "2027-03-03T15:00:00Z", "2027-03-08T15:00:00Z")
	got, _ = Between(rule, first, ny, mar(3), mar(10).Add(time.Nanosecond), 10)
	sameInstants(t, got, ny, "2027-03-03T15:00:00Z", "2027-03-08T15:00:00Z", "2027-03-10T15:00:00Z")
	got, _ = Between(rule, first, ny, first.AddDate(-1, 0, 0), first.AddDate(1, 0, 0), 2)
	sameInstants(t, got, ny, "2027-03-01T15:00:00Z", "2027-03-03T15:00:00Z")
	for _, limit := range []int{0, -1} {
		if got, err := Between(rule, first, ny, first, first.AddDate(1, 0, 0), limit); got != nil || err != nil {
			t.Errorf("limit %d: %v, %v", limit, got, err)
		}
	}
	if got, err := Between(rule, first, ny, mar(10), mar(3), 10); got != nil || err != nil {
		t.Errorf("from after to: %v, %v", got, err)
	}

	got, _ = After(rule, first, ny, mar(3), 2)
	sameInstants(t, got, ny, "2027-03-08T15:00:00Z", "2027-03-10T15:00:00Z")
	got, _ = After(rule, first, ny, mar(3).Add(-time.Second), 1)
	sameInstants(t, got, ny, "2027-03-03T15:00:00Z")
	got, _ = After("FREQ=DAILY;COUNT=2", first, ny, first, 5)
	sameInstants(t, got, ny, "2027-03-02T15:00:00Z")
	if got, err := After(rule, first, ny, first, 0); got != nil || err != nil {
		t.Errorf("n 0: %v, %v", got, err)
	}

	// A first start the rule does not match is not a start (rrule-go and
	// RFC 5545 practice): Wednesday first, Monday rule.
	wed := mar(3)
	got, _ = After("FREQ=WEEKLY;BYDAY=MO", wed, ny, wed.Add(-time.Minute), 1)
	sameInstants(t, got, ny, "2027-03-08T15:00:00Z")

	// Bad input gives Validate's error, never a panic or a silent empty list.
	if _, err := Between("FREQ=HOURLY", first, ny, first, mar(10), 5); err == nil {
		t.Error("Between accepted FREQ=HOURLY")
	}
	if _, err := After("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", first, ny, first, 5); err == nil {
		t.Error("After accepted a rule without dates")
	}
	if _, err := After("FREQ=DAILY", time.Time{}, ny, first, 5); err == nil {
		t.Error("After accepted a zero first start")
	}
}

func two(d int) string { return time.Date(2000, 1, d, 0, 0, 0, 0, time.UTC).Format("02") }

// TestMonthlyPatterns checks the monthly forms the phrases produce.
func TestMonthlyPatterns(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	first := local(t, "2027-01-01 09:00", berlin)
	cases := []struct {
		rule string
		want []string // local dates
	}{
		{"FREQ=MONTHLY;BYMONTHDAY=1", []string{"2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01"}},
		{"FREQ=MONTHLY;BYMONTHDAY=31", []string{"2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31"}},
		{"FREQ=MONTHLY;BYMONTHDAY=-1", []string{"2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"}},
		{"FREQ=MONTHLY;BYDAY=-1FR", []string{"2027-01-29", "2027-02-26", "2027-03-26", "2027-04-30"}},
		{"FREQ=MONTHLY;BYDAY=1MO", []string{"2027-01-04", "2027-02-01", "2027-03-01", "2027-04-05"}},
		{"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", []string{"2027-01-29", "2027-02-26", "2027-03-31", "2027-04-30"}},
		{"FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", []string{"2027-01-15", "2027-03-15", "2027-05-15", "2027-07-15"}},
		// Weeks count from the week of the first start (Fri Jan 1, in the week
		// of Mon Dec 28), whose Tuesday and Thursday are already past; this is
		// why NextStart picks a first start on a day the rule matches.
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", []string{"2027-01-12", "2027-01-14", "2027-01-26", "2027-01-28"}},
	}
	for _, tc := range cases {
		got, err := After(tc.rule, first, berlin, first.Add(-time.Minute), len(tc.want))
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %v", tc.rule, got)
		}
		for i, g := range got {
			if g.Format("2006-01-02") != tc.want[i] || g.Hour() != 9 || g.Minute() != 0 {
				t.Errorf("%s: start %d = %v, want %s 09:00", tc.rule, i, g, tc.want[i])
			}
		}
	}
}

// TestNextStart checks where a series typed now begins.
func TestNextStart(t *testing.T) {
	ny := zone(t, "America/New_York")
	wed := local(t, "2026-11-25 10:00", ny) // Wednesday
	cases := []struct {
		rule   string
		now    time.Time
		h, m   int
		want   string
		fold   Fold
		passed string
	}{
		{"FREQ=DAILY", wed, 11, 0, "2026-11-25T16:00:00Z", Exact, ""},                                                    // later today
		{"FREQ=DAILY", wed, 9, 30, "2026-11-26T14:30:00Z", Exact, ""},                                                    // passed today
		{"FREQ=DAILY", wed, 10, 0, "2026-11-25T15:00:00Z", Exact, ""},                                                    // exactly now counts
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", local(t, "2026-11-27 10:00", ny), 9, 30, "2026-11-30T14:30:00Z", Exact, ""}, // Fri → Mon
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", wed, 16, 0, "2026-12-01T21:00:00Z", Exact, ""},                               // the coming Tuesday
		{"FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3", wed, 9, 0, "2026-12-01T14:00:00Z", Exact, ""},
		{"FREQ=DAILY;UNTIL=20200101", wed, 9, 0, "2026-11-26T14:00:00Z", Exact, ""}, // ends are ignored here
		{"FREQ=DAILY", local(t, "2027-11-06 12:00", ny), 1, 30, "2027-11-07T05:30:00Z", Repeated, ""},
		// 02:30 does not exist on Mar 14: starting there would make 03:30 the
		// series' time, so it starts on the 15th and says what it passed.
		{"FREQ=DAILY", local(t, "2027-03-13 12:00", ny), 2, 30, "2027-03-15T06:30:00Z", Exact, "2027-03-14T07:30:00Z"},
		{"FREQ=WEEKLY;BYDAY=SU", local(t, "2027-03-13 12:00", ny), 2, 30, "2027-03-21T06:30:00Z", Exact, "2027-03-14T07:30:00Z"},
	}
	for _, tc := range cases {
		got, err := NextStart(tc.rule, ny, tc.now, tc.h, tc.m)
		passedOK := (tc.passed == "" && got.Passed.IsZero()) || (tc.passed != "" && got.Passed.Equal(utc(t, tc.passed)))
		if err != nil || !got.Start.Equal(utc(t, tc.want)) || got.Fold != tc.fold || !passedOK || got.Start.Location() != ny {
			t.Errorf("NextStart(%s, %v, %02d:%02d) = %+v, %v; want %s %v passed %q", tc.rule, tc.now, tc.h, tc.m, got, err, tc.want, tc.fold, tc.passed)
			continue
		}
		if strings.Contains(tc.rule, "UNTIL") {
			continue // that series ended long ago
		}
		// Stored as the first start, it is the series' first meeting, and the
		// series keeps the typed time of day.
		next, err := After(tc.rule, got.Start, ny, got.Start.Add(-time.Second), 2)
		if err != nil || len(next) == 0 || !next[0].Equal(got.Start) {
			t.Errorf("%s from %v starts at %v", tc.rule, got.Start, next)
		}
		if h, m, _ := next[len(next)-1].Clock(); h != tc.h || m != tc.m {
			t.Errorf("%s from %v: later meeting at %v", tc.rule, got.Start, next)
		}
	}
	for _, tc := range []struct {
		rule string
		h, m int
	}{{"FREQ=DAILY", 24, 0}, {"FREQ=DAILY", 9, 60}, {"FREQ=SECONDLY", 9, 0}, {"FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31", 9, 0}} {
		if _, err := NextStart(tc.rule, ny, wed, tc.h, tc.m); err == nil {
			t.Errorf("NextStart(%s, %02d:%02d) accepted", tc.rule, tc.h, tc.m)
		}
	}
	if _, err := NextStart("FREQ=DAILY", nil, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 9, 0); err == nil {
		t.Error("NextStart accepted the year 9999")
	}
}
