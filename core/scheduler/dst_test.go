package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestSeriesKeepWallClockAcrossDST runs weekly and daily series through the
// scheduler across both 2027 changes in New York and Berlin: every
// start-time reminder fires at the same local wall time.
func TestSeriesKeepWallClockAcrossDST(t *testing.T) {
	t.Parallel()
	ny, berlin := testenv.MustZone("America/New_York"), testenv.MustZone("Europe/Berlin")
	// Each weekly case spans both 2027 changes of its zone (NY: Mar 14,
	// Nov 7; Berlin: Mar 28, Oct 31) in one series. The daily ones take a
	// series across each change on its own, a week either side: a daily
	// series over both would run some 240 occurrences, and every run of a
	// job walks the series from its first occurrence, which made those two
	// cases 150 s of the race-detector suite for no more coverage.
	cases := []struct {
		zone, rule string
		first      time.Time
		until      time.Time
		wall       string
		step       int // days between occurrences, to count them independently
	}{
		{"America/New_York", "FREQ=WEEKLY", time.Date(2027, 3, 1, 9, 30, 0, 0, ny), time.Date(2027, 11, 20, 0, 0, 0, 0, ny), "09:30", 7},
		{"America/New_York", "FREQ=DAILY", time.Date(2027, 3, 7, 9, 30, 0, 0, ny), time.Date(2027, 3, 21, 0, 0, 0, 0, ny), "09:30", 1},
		{"America/New_York", "FREQ=DAILY", time.Date(2027, 10, 31, 9, 30, 0, 0, ny), time.Date(2027, 11, 14, 0, 0, 0, 0, ny), "09:30", 1},
		{"Europe/Berlin", "FREQ=WEEKLY", time.Date(2027, 3, 15, 9, 0, 0, 0, berlin), time.Date(2027, 11, 10, 0, 0, 0, 0, berlin), "09:00", 7},
		{"Europe/Berlin", "FREQ=DAILY", time.Date(2027, 3, 21, 9, 0, 0, 0, berlin), time.Date(2027, 4, 4, 0, 0, 0, 0, berlin), "09:00", 1},
		{"Europe/Berlin", "FREQ=DAILY", time.Date(2027, 10, 24, 9, 0, 0, 0, berlin), time.Date(2027, 11, 7, 0, 0, 0, 0, berlin), "09:00", 1},
	}
	for _, tc := range cases {
		t.Run(tc.zone+" "+tc.rule+" from "+tc.first.Format("Jan 2"), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testenv.Options{Start: tc.first.Add(-time.Hour)})
			_, err := h.env.Service.Schedule(context.Background(), testenv.Actor("ana"), core.ScheduleRequest{
				Title: "Series", Start: tc.first, TimeZone: tc.zone, Duration: 15 * time.Minute, Recurrence: tc.rule,
			})
			if err != nil {
				t.Fatal(err)
			}
			h.stepTo(t, tc.until)
			loc := testenv.MustZone(tc.zone)
			n := 0
			for _, s := range h.rec.all() {
				if s.reminder.Lead != 0 {
					continue
				}
				n++
				if got := s.at.In(loc).Format("15:04"); got != tc.wall {
					t.Fatalf("reminder at %v (%s local), want %s", s.at, got, tc.wall)
				}
			}
			want := 0
			for d := tc.first; d.Before(tc.until); d = d.AddDate(0, 0, tc.step) {
				want++
			}
			if n != want {
				t.Fatalf("%d start reminders, want %d", n, want)
			}
		})
	}
}

// TestSeriesInSpringForwardGap: a daily 02:30 series in New York meets the
// nonexistent 02:30 of 2027-03-14; RFC 5545 reads it with the offset before
// the gap, 07:30 UTC (03:30 EDT).
func TestSeriesInSpringForwardGap(t *testing.T) {
	t.Parallel()
	ny := testenv.MustZone("America/New_York")
	first := time.Date(2027, 3, 13, 2, 30, 0, 0, ny)
	h := newHarness(t, testenv.Options{Start: first.Add(-time.Hour)})
	m, err := h.env.Service.Schedule(context.Background(), testenv.Actor("ana"), core.ScheduleRequest{
		Title: "Night", Start: first, TimeZone: "America/New_York", Duration: 15 * time.Minute, Recurrence: "FREQ=DAILY;COUNT=3",
	})
	if err != nil {
		t.Fatal(err)
	}
	occ := m.OccurrencesBetween(first, first.AddDate(0, 0, 5), 10)
	want := []time.Time{
		time.Date(2027, 3, 13, 7, 30, 0, 0, time.UTC), // 02:30 EST
		time.Date(2027, 3, 14, 7, 30, 0, 0, time.UTC), // the gap: 03:30 EDT
		time.Date(2027, 3, 15, 6, 30, 0, 0, time.UTC), // 02:30 EDT
	}
	if len(occ) != len(want) {
		t.Fatalf("occurrences %v", occ)
	}
	for i := range want {
		if !occ[i].Start.Equal(want[i]) {
			t.Fatalf("occurrence %d = %v, want %v", i, occ[i].Start.UTC(), want[i])
		}
	}
	h.stepTo(t, first.AddDate(0, 0, 4))
	var starts []time.Time
	for _, s := range h.rec.all() {
		if s.reminder.Lead == 0 {
			starts = append(starts, s.at)
		}
	}
	if len(starts) != 3 || !starts[1].Equal(want[1]) {
		t.Fatalf("start reminders at %v", starts)
	}
}
