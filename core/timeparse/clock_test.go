package timeparse

import (
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		in   string
		h, m int
		note bool
	}{
		{"9:30", 9, 30, false}, {"at 9:30", 9, 30, false}, {"5pm", 17, 0, false}, {"at 5 pm", 17, 0, false},
		{"16:00", 16, 0, false}, {"10:30 am", 10, 30, false}, {"12am", 0, 0, false}, {"noon", 12, 0, false},
		{"morning", 8, 0, true}, {"2:30", 2, 30, false},
	} {
		h, m, note, err := ParseClock(tc.in)
		if err != nil || h != tc.h || m != tc.m || (note != "") != tc.note {
			t.Errorf("ParseClock(%q) = %d:%02d %q %v, want %d:%02d", tc.in, h, m, note, err, tc.h, tc.m)
		}
	}
	// A day, an offset or anything else is not a time of day, and says so
	// in a way a caller searching a longer line can recognise.
	for _, in := range []string{"", "tomorrow 3pm", "monday 9am", "in 2 hours", "tonight", "this morning", "blah", "2027-03-14 02:30", "25:99", strings.Repeat("9", 200)} {
		_, _, _, err := ParseClock(in)
		if e, ok := core.AsError(err); !ok || e.Code != core.EINVALID || !IsUnrecognized(err) {
			t.Errorf("ParseClock(%q): want an unrecognised EINVALID, got %v", in, err)
		}
	}
}

func TestParseDay(t *testing.T) {
	ny := mustLoad(t, ny)
	now := at(t, "2026-11-25 10:00", ny) // Wednesday
	for _, tc := range []struct{ in, want string }{
		{"today", "2026-11-25T00:00:00-05:00"},
		{"tomorrow", "2026-11-26T00:00:00-05:00"},
		{"wednesday", "2026-11-25T00:00:00-05:00"}, // today, whose meeting may still be ahead
		{"friday", "2026-11-27T00:00:00-05:00"},
		{"next wednesday", "2026-12-02T00:00:00-05:00"},
		{"on friday", "2026-11-27T00:00:00-05:00"},
		{"dec 24", "2026-12-24T00:00:00-05:00"},
		{"jan 5", "2027-01-05T00:00:00-05:00"},
		{"2027-03-15", "2027-03-15T00:00:00-04:00"},
		{"in 3 days", "2026-11-28T00:00:00-05:00"},
	} {
		got, err := ParseDay(tc.in, now, ny)
		if want := at(t, tc.want, ny); err != nil || !got.Equal(want) || got.Location() != ny {
			t.Errorf("ParseDay(%q) = %v, %v; want %v", tc.in, got, err, want)
		}
	}
	// Midnight skipped by a clock change: the day starts at 01:00.
	santiago := mustLoad(t, "America/Santiago")
	got, err := ParseDay("2027-09-05", at(t, "2027-09-01 10:00", santiago), santiago)
	if err != nil || got.Hour() != 1 || got.Day() != 5 {
		t.Errorf("Santiago spring-forward day starts at %v, %v", got, err)
	}
	for _, tc := range []struct{ in, err string }{
		{"yesterday", "in the past"},
		{"2026-11-24", "already passed"},
		{"2030-01-01", "years away"},
		{"feb 30", "no day 30"},
	} {
		_, err := ParseDay(tc.in, now, ny)
		if e, ok := core.AsError(err); !ok || e.Code != core.EINVALID || !strings.Contains(e.Message, tc.err) || IsUnrecognized(err) {
			t.Errorf("ParseDay(%q): want an error about %q, got %v", tc.in, tc.err, err)
		}
	}
	for _, in := range []string{"", "blah", "tomorrow 3pm", "3pm", "in 2 hours", "tonight", "2027-03-15 10:00"} {
		if _, err := ParseDay(in, now, ny); !IsUnrecognized(err) {
			t.Errorf("ParseDay(%q): want an unrecognised error, got %v", in, err)
		}
	}
}

func TestFoldNote(t *testing.T) {
	ny := mustLoad(t, ny)
	gap, fold := recur.Date(2027, 3, 14, 2, 30, 0, ny)
	if n := FoldNote(fold, gap, 2, 30); !strings.Contains(n, "2:30 AM does not exist on Sun Mar 14 2027") || !strings.Contains(n, "3:30 AM EDT") {
		t.Errorf("gap note = %q", n)
	}
	twice, fold := recur.Date(2027, 11, 7, 1, 30, 0, ny)
	if n := FoldNote(fold, twice, 1, 30); !strings.Contains(n, "happens twice") || !strings.Contains(n, "EDT") {
		t.Errorf("overlap note = %q", n)
	}
	if n := FoldNote(recur.Exact, time.Now(), 9, 0); n != "" {
		t.Errorf("exact note = %q", n)
	}
}
