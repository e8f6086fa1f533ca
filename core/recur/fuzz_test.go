package recur

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzRecur feeds arbitrary rules, first starts and zones to Validate,
// Describe, After, NextStart and ParsePhrase. None may panic or hang; Describe always
// gives one line; After gives ordered starts after t that keep the first
// start's wall clock (or its DST-shifted form); and a rule Validate accepts
// always expands. The seeds are in testdata/fuzz/FuzzRecur.
func FuzzRecur(f *testing.F) {
	f.Add("FREQ=WEEKLY;BYDAY=MO", int64(0), uint8(0))
	zones := []*time.Location{zone(f, "America/New_York"), zone(f, "Europe/Berlin"), zone(f, "Australia/Lord_Howe"), time.UTC}
	base := time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rule string, minutes int64, z uint8) {
		loc := zones[int(z)%len(zones)]
		// Any minute within about four years around the base.
		first := base.Add(time.Duration(minutes%(4*366*24*60)) * time.Minute).In(loc)

		verr := Validate(rule, first)
		if verr != nil && (verr.Error() == "" || strings.ContainsAny(verr.Error(), "\r\n")) {
			t.Fatalf("Validate(%q): bad message %q", rule, verr)
		}
		if d := Describe(rule, loc); d == "" || strings.ContainsAny(d, "\r\n") {
			t.Fatalf("Describe(%q) = %q", rule, d)
		}
		if _, err := ParsePhrase(rule); err != nil && !errors.Is(err, ErrNotRecurrence) && strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("ParsePhrase(%q): bad message %q", rule, err)
		}

		h, m := int(uint64(minutes)%24), int(uint64(minutes)/24%60)
		if ns, err := NextStart(rule, loc, first, h, m); err == nil {
			if w := wallOf(ns.Start, loc); ns.Start.Before(first) || w.Hour() != h || w.Minute() != m || ns.Fold == Skipped {
				t.Fatalf("NextStart(%q, %v, %02d:%02d) = %+v", rule, first, h, m, ns)
			}
		}

		from := first.Add(-time.Minute)
		got, err := After(rule, first, loc, from, 5)
		if verr == nil && (err != nil || len(got) == 0) {
			t.Fatalf("Validate accepted %q from %v but After gives %v, %v", rule, first, got, err)
		}
		if err != nil {
			return
		}
		fw := wallOf(first, loc)
		for i, s := range got {
			if !s.After(from) || (i > 0 && !s.After(got[i-1])) || s.Location() != loc {
				t.Fatalf("After(%q, %v): starts out of order or range: %v", rule, first, got)
			}
			w := wallOf(s, loc)
			if w.Hour() == fw.Hour() && w.Minute() == fw.Minute() {
				continue
			}
			// Otherwise the wall time must have been moved out of a gap.
			if _, fold := Date(w.Year(), w.Month(), w.Day(), fw.Hour(), fw.Minute(), fw.Second(), loc); fold != Skipped {
				t.Fatalf("After(%q, %v): start %v does not keep the wall clock %02d:%02d", rule, first, s, fw.Hour(), fw.Minute())
			}
		}
	})
}
