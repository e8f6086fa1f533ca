package recur

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// walkFromFirst is the reference expansion: every start from the first one
// on, up to (not including) to, by a walk from the first start.
func walkFromFirst(t *testing.T, rule string, first time.Time, loc *time.Location, to time.Time) []time.Time {
	t.Helper()
	sr, err := open(rule, first, loc)
	if err != nil {
		t.Fatalf("open(%q, %v): %v", rule, first, err)
	}
	var out []time.Time
	sr.each(time.Time{}, func(s time.Time) bool {
		if !s.Before(to) {
			return false
		}
		out = append(out, s)
		return true
	})
	return out
}

// window returns the starts of all in [from, to), at most limit.
func window(all []time.Time, from, to time.Time, limit int) []time.Time {
	var out []time.Time
	for _, s := range all {
		if !s.Before(from) && s.Before(to) && len(out) < limit {
			out = append(out, s)
		}
	}
	return out
}

// TestResumedExpansionMatchesWalkFromFirst checks that starting the rule
// near the asked time (see series.rule) gives exactly the starts a walk from
// the first start gives, for rules of every frequency, intervals, weekday
// and month-day lists, BYSETPOS, WKST and all three UNTIL forms, in zones
// with hour, half-hour and whole-day clock changes, for first starts on the
// 29th to 31st and inside a spring-forward gap, and asked-for ranges from
// before the first start to years after it.
func TestResumedExpansionMatchesWalkFromFirst(t *testing.T) {
	rules := []string{
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=DAILY;INTERVAL=2;BYMONTH=3,11",
		"FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,SA;WKST=SU",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=TH", "FREQ=WEEKLY;INTERVAL=2",
		"FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=2", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;BYMONTHDAY=-1,15",
		"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=2", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
		"FREQ=YEARLY;BYDAY=20MO", "FREQ=WEEKLY;BYDAY=WE;UNTIL=20300101T000000Z", "FREQ=DAILY;UNTIL=20291103T013000",
		"FREQ=MONTHLY;BYMONTHDAY=30;UNTIL=20310228", "FREQ=WEEKLY;COUNT=300",
	}
	// Each first start with the zone whose clock changes it tests: a
	// spring-forward gap, a half-hour change after a month's last day, a
	// skipped day (Samoa, Dec 30 2011) and a leap day.
	starts := []struct {
		zone, first string
	}{
		{"America/New_York", "2027-03-14 02:30"},
		{"Australia/Lord_Howe", "2027-01-31 23:30"},
		{"Pacific/Apia", "2011-12-28 09:30"},
		{"Europe/Berlin", "2028-02-29 08:00"},
	}
	rng := rand.New(rand.NewPCG(12, 12))
	checked := 0
	for _, rule := range rules {
		for _, st := range starts {
			loc := zone(t, st.zone)
			first, err := time.ParseInLocation("2006-01-02 15:04", st.first, loc)
			if err != nil {
				t.Fatal(err)
			}
			if Validate(rule, first) != nil {
				continue
			}
			horizon := first.AddDate(6, 3, 0)
			all := walkFromFirst(t, rule, first, loc, horizon)
			for range 8 {
				// From a week before the first start to about six years after it.
				from := first.Add(time.Duration(rng.Int64N(int64(6*366*24*time.Hour))) - 7*24*time.Hour)
				to := from.Add(time.Duration(1+rng.Int64N(60*24)) * time.Hour)
				limit := 1 + rng.IntN(40)
				got, err := Between(rule, first, loc, from, to, limit)
				if err != nil {
					t.Fatalf("Between(%q, %v): %v", rule, first, err)
				}
				if want := window(all, from, to, limit); !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Fatalf("Between(%q, first %v, [%v, %v), %d):\n got %v\nwant %v", rule, first, from, to, limit, got, want)
				}
				after, err := After(rule, first, loc, from, 3)
				if err != nil {
					t.Fatal(err)
				}
				if want := window(all, from.Add(time.Nanosecond), horizon, 3); len(want) == 3 && !slices.EqualFunc(after, want, time.Time.Equal) {
					t.Fatalf("After(%q, first %v, %v):\n got %v\nwant %v", rule, first, from, after, want)
				}
				checked++
			}
		}
	}
	if checked < 600 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// BenchmarkBetweenBySeriesAge looks up one week of a daily series that is
// a week old and one that is five years old, in one run, and reports the
// ratio of their costs: the lookup resumes the rule near the asked week, so
// the ratio stays near 1 however old the series is.
func BenchmarkBetweenBySeriesAge(b *testing.B) {
	loc := zone(b, "America/New_York")
	now := time.Date(2031, 11, 3, 12, 0, 0, 0, loc)
	lookup := func(age time.Duration) {
		first := time.Date(2031, 11, 3, 9, 30, 0, 0, loc).Add(-age)
		got, err := Between("FREQ=DAILY", first, loc, now, now.AddDate(0, 0, 7), 10)
		if err != nil || len(got) != 7 {
			b.Fatalf("Between: %v, %v", got, err)
		}
	}
	var young, old time.Duration
	for b.Loop() {
		t0 := time.Now()
		lookup(7 * 24 * time.Hour)
		t1 := time.Now()
		lookup(5 * 365 * 24 * time.Hour)
		young += t1.Sub(t0)
		old += time.Since(t1)
	}
	b.ReportMetric(float64(old)/float64(young), "old/young")
	b.ReportMetric(float64(young.Nanoseconds())/float64(b.N), "young-ns/op")
	b.ReportMetric(float64(old.Nanoseconds())/float64(b.N), "old-ns/op")
}
