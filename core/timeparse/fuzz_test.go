package timeparse

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
)

// FuzzParse checks that Parse never panics, that every error is a
// user-facing EINVALID, and that every success keeps the package's promises:
// strictly after now, within MaxYearsAhead, in the requested location.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"tomorrow 3pm", "in 2 hours", "2027-03-14 02:30", "blah"} {
		f.Add(s)
	}
	zones := []*time.Location{mustLoad(f, ny), mustLoad(f, berlin), mustLoad(f, "Australia/Lord_Howe")}
	nows := []time.Time{
		time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC),
		time.Date(2027, 3, 14, 6, 30, 0, 0, time.UTC),   // NY, just before spring forward
		time.Date(2027, 11, 7, 5, 45, 0, 0, time.UTC),   // NY, inside the fall-back hour
		time.Date(2027, 10, 30, 23, 59, 0, 0, time.UTC), // Berlin, just before fall back
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, loc := range zones {
			for _, now := range nows {
				r, err := Parse(in, now, loc)
				if err != nil {
					e, ok := core.AsError(err)
					if !ok || e.Code != core.EINVALID || e.Message == "" {
						t.Fatalf("Parse(%q): want EINVALID *core.Error, got %#v", in, err)
					}
					if !utf8.ValidString(e.Message) {
						t.Fatalf("Parse(%q): message is not UTF-8: %q", in, e.Message)
					}
					continue
				}
				if !r.Time.After(now) {
					t.Fatalf("Parse(%q, %v) = %v, not after now", in, now, r.Time)
				}
				if r.Time.After(now.AddDate(MaxYearsAhead, 0, 0)) {
					t.Fatalf("Parse(%q, %v) = %v, beyond the cap", in, now, r.Time)
				}
				if r.Time.Location() != loc {
					t.Fatalf("Parse(%q) location %v, want %v", in, r.Time.Location(), loc)
				}
			}
		}
	})
}

// FuzzParseDuration checks that ParseDuration never panics, that successes
// are whole minutes within (0, MaxDuration], and that they survive a round
// trip through FormatDuration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"45m", "1h30m", "1.5h", "90", "2 hours", "0", "-5m", "25h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseDuration(in)
		if err != nil {
			if e, ok := core.AsError(err); !ok || e.Code != core.EINVALID || e.Message == "" {
				t.Fatalf("ParseDuration(%q): want EINVALID, got %#v", in, err)
			}
			return
		}
		if d <= 0 || d > MaxDuration || d%time.Minute != 0 {
			t.Fatalf("ParseDuration(%q) = %v", in, d)
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("round trip of %v via %q: %v, %v", d, FormatDuration(d), back, err)
		}
	})
}
