package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"

	"github.com/meetbot/meetbot/core"
)

// onsetAt is one onset of a parsed VTIMEZONE: from at on, offset applies.
type onsetAt struct {
	at     time.Time
	offset int
}

// parseOffset reads a UTC-OFFSET ("-0500", "+0530", "+001932").
func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 || s[0] != '+' && s[0] != '-' {
		t.Fatalf("bad UTC offset %q", s)
	}
	n := 0
	for i, unit := range []int{3600, 60, 1} {
		if 1+2*i+2 > len(s) {
			break
		}
		v, err := strconv.Atoi(s[1+2*i : 3+2*i])
		if err != nil {
			t.Fatalf("bad UTC offset %q", s)
		}
		n += v * unit
	}
	if s[0] == '-' {
		n = -n
	}
	return n
}

// evalVTimezone turns a parsed VTIMEZONE into its onsets up to until, the
// way a strict calendar app reads it: DTSTART, RDATEs and RRULE of each
// observance, local times taken in its TZOFFSETFROM.
func evalVTimezone(t *testing.T, tz *ics.VTimezone, until time.Time) (onsets []onsetAt, kinds map[string]int) {
	t.Helper()
	kinds = map[string]int{}
	for _, c := range tz.Components {
		var cb *ics.ComponentBase
		switch o := c.(type) {
		case *ics.Standard:
			cb, kinds["STANDARD"] = &o.ComponentBase, kinds["STANDARD"]+1
		case *ics.Daylight:
			cb, kinds["DAYLIGHT"] = &o.ComponentBase, kinds["DAYLIGHT"]+1
		default:
			t.Fatalf("unexpected VTIMEZONE part %T", c)
		}
		from := parseOffset(t, prop(t, cb, ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value)
		to := parseOffset(t, prop(t, cb, ics.ComponentProperty(ics.PropertyTzoffsetto)).Value)
		if cb.GetProperty(ics.ComponentProperty(ics.PropertyTzname)) == nil {
			t.Error("observance without TZNAME")
		}
		wall := func(s string) time.Time { // local wall time as a UTC value
			w, err := time.Parse("20060102T150405", s)
			if err != nil {
				t.Fatalf("bad local time %q: %v", s, err)
			}
			return w
		}
		walls := []time.Time{wall(prop(t, cb, ics.ComponentPropertyDtStart).Value)}
		for _, rd := range cb.GetProperties(ics.ComponentPropertyRdate) {
			for _, v := range strings.Split(rd.Value, ",") {
				walls = append(walls, wall(v))
			}
		}
		if rr := cb.GetProperty(ics.ComponentPropertyRrule); rr != nil {
			opt, err := rrule.StrToROption(rr.Value)
			if err != nil {
				t.Fatal(err)
			}
			opt.Dtstart = walls[0]
			r, err := rrule.NewRRule(*opt)
			if err != nil {
				t.Fatal(err)
			}
			walls = append(walls, r.Between(walls[0], until, false)...)
		}
		for _, w := range walls {
			onsets = append(onsets, onsetAt{at: w.Add(-time.Duration(from) * time.Second), offset: to})
		}
	}
	slices.SortFunc(onsets, func(a, b onsetAt) int { return a.at.Compare(b.at) })
	return onsets, kinds
}

func offsetIn(onsets []onsetAt, t time.Time) (int, bool) {
	i, _ := slices.BinarySearchFunc(onsets, t, func(o onsetAt, t time.Time) int {
		if o.at.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return 0, false
	}
	return onsets[i-1].offset, true
}

// TestVTimezoneAgreesWithGo schedules a series in zones of every shape
// (US and EU rules, no DST, a 30-minute DST, DST abolished, Jerusalem's
// "Friday before the last Sunday", Casablanca's Ramadan breaks) and checks
// that the parsed VTIMEZONE gives Go's offset at every Go transition and
// every six hours for twenty years.
func TestVTimezoneAgreesWithGo(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, zone := range []string{
		"America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Lord_Howe",
		"America/Sao_Paulo", "Asia/Jerusalem", "Africa/Casablanca", "UTC", "Europe/Dublin",
	} {
		t.Run(strings.ReplaceAll(zone, "/", "_"), func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			start := t0.AddDate(0, 0, 7).In(loc)
			start = time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, loc)
			m, err := e.svc.Schedule(context.Background(), ana, core.ScheduleRequest{
				Title: "Sync", Start: start, Duration: time.Hour, TimeZone: zone, Recurrence: "FREQ=WEEKLY",
			})
			if err != nil {
				t.Fatal(err)
			}
			cal, r := e.fetchCalendar(t, m)
			tzs := cal.Timezones()
			if len(tzs) != 1 || prop(t, &tzs[0].ComponentBase, ics.ComponentPropertyTzid).Value != zone {
				t.Fatalf("want one VTIMEZONE %s:\n%s", zone, r.body)
			}
			until := start.AddDate(20, 0, 0)
			onsets, kinds := evalVTimezone(t, tzs[0], until)
			check := func(at time.Time) {
				_, want := at.In(loc).Zone()
				got, ok := offsetIn(onsets, at)
				if !ok || got != want {
					t.Fatalf("%v: VTIMEZONE offset %d (defined %v), Go %d\n%s", at.UTC(), got, ok, want, r.body)
				}
			}
			for at := start; at.Before(until); at = at.Add(6 * time.Hour) {
				check(at)
			}
			for at := start; at.Before(until); {
				_, end := at.ZoneBounds()
				if end.IsZero() || !end.Before(until) {
					break
				}
				if !end.After(at) { // Go can report a stuck bound past 2037
					at = at.Add(time.Hour)
					continue
				}
				check(end)
				check(end.Add(-time.Second))
				at = end
			}
			// ical.js (Thunderbird) skips DTSTART as an onset when an RDATE
			// is present and reads only an RDATE line's first value.
			if strings.Contains(r.body, "RDATE") {
				t.Errorf("an observance lists onsets with RDATE:\n%s", r.body)
			}
			switch zone {
			case "America/New_York":
				// The rule after the listed years, not forty more RDATEs.
				if !strings.Contains(r.body, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU") ||
					!strings.Contains(r.body, "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU") {
					t.Errorf("no yearly US rules:\n%s", r.body)
				}
			case "Asia/Tokyo", "UTC":
				if kinds["DAYLIGHT"] != 0 || kinds["STANDARD"] != 1 {
					t.Errorf("observances %v, want one STANDARD", kinds)
				}
			}
		})
	}
}
