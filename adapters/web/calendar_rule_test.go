package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"

	"github.com/meetbot/meetbot/core"
)

// The calendar file against core's own expansion: what rrule-go makes of
// the parsed DTSTART, RRULE, EXDATEs and RECURRENCE-ID overrides must be
// the starts core.Meeting.OccurrencesBetween gives.

// expand returns the starts a calendar app computes from the parsed file
// in [from, to): the master's DTSTART+RRULE via rrule-go, minus EXDATEs,
// with each RECURRENCE-ID override's DTSTART instead of the rule start.
func expand(t *testing.T, cal *ics.Calendar, from, to time.Time) []time.Time {
	t.Helper()
	var master *ics.VEvent
	overrides := map[time.Time]time.Time{}
	for _, ev := range cal.Events() {
		rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId)
		if rid == nil {
			master = ev
			continue
		}
		orig, err := time.ParseInLocation("20060102T150405", rid.Value, zoneParam(t, rid))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ev.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		overrides[orig.UTC()] = s
	}
	if master == nil {
		t.Fatal("no master VEVENT")
	}
	dtstart, err := master.GetStartAt()
	if err != nil {
		t.Fatal(err)
	}
	opt, err := rrule.StrToROption(prop(t, &master.ComponentBase, ics.ComponentPropertyRrule).Value)
	if err != nil {
		t.Fatal(err)
	}
	opt.Dtstart = dtstart
	rr, err := rrule.NewRRule(*opt)
	if err != nil {
		t.Fatal(err)
	}
	excluded := map[time.Time]bool{}
	for _, x := range master.GetProperties(ics.ComponentPropertyExdate) {
		for _, v := range strings.Split(x.Value, ",") {
			d, err := time.ParseInLocation("20060102T150405", v, zoneParam(t, x))
			if err != nil {
				t.Fatal(err)
			}
			excluded[d.UTC()] = true
		}
	}
	var out []time.Time
	// Rule starts up to a week either side, since a move can cross the range.
	for _, s := range rr.Between(from.AddDate(0, 0, -7), to.AddDate(0, 0, 7), true) {
		if excluded[s.UTC()] {
			continue
		}
		if o, ok := overrides[s.UTC()]; ok {
			s = o
		}
		if !s.Before(from) && s.Before(to) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

func zoneParam(t *testing.T, p *ics.IANAProperty) *time.Location {
	t.Helper()
	tz := p.ICalParameters["TZID"]
	if len(tz) != 1 {
		t.Fatalf("%s has no TZID: %v", p.IANAToken, p.ICalParameters)
	}
	loc, err := time.LoadLocation(tz[0])
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func wantSameStarts(t *testing.T, got []time.Time, want []core.Occurrence) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("file gives %d starts %v, core %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if !got[i].Equal(want[i].Start) {
			t.Errorf("start %d: file %v, core %v", i, got[i], want[i].Start)
		}
	}
}

// TestCalendarMatchesCoreAcrossDST expands the parsed file the way a
// calendar app does and compares it with core's occurrences, for a weekly
// series across the 2027 spring-forward in New York: before and after a
// skip and a move of one occurrence.
func TestCalendarMatchesCoreAcrossDST(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	start := time.Date(2027, 2, 22, 10, 0, 0, 0, nyc) // EST; DST starts Mar 14
	m := e.series("Weekly sync", start, 45*time.Minute, "America/New_York")
	from, to := start.Add(-time.Hour), start.AddDate(0, 0, 8*7)

	cal, _ := e.fetchCalendar(t, m)
	got := expand(t, cal, from, to)
	wantSameStarts(t, got, e.meeting(m).OccurrencesBetween(from, to, 0))
	for _, s := range got {
		if s.Hour() != 10 || s.Weekday() != time.Monday {
			t.Errorf("occurrence at %v, want Mondays 10:00 New York time", s)
		}
	}
	if _, off := got[len(got)-1].Zone(); off != -4*3600 {
		t.Errorf("last occurrence offset %d, want EDT", off)
	}

	// Skip the first Monday after the change; move the next occurrence (the
	// first one) to Tuesday afternoon.
	if _, _, err := e.svc.Skip(ctx, ana, m.ID, time.Date(2027, 3, 15, 0, 0, 0, 0, nyc)); err != nil {
		t.Fatalf("skip: %v", err)
	}
	moved := time.Date(2027, 2, 23, 15, 30, 0, 0, nyc)
	if _, _, err := e.svc.Move(ctx, ana, m.ID, moved, false); err != nil {
		t.Fatalf("move: %v", err)
	}
	cal, r := e.fetchCalendar(t, m)
	evs := cal.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want the series and one override:\n%s", len(evs), r.body)
	}
	master, override := &evs[0].ComponentBase, &evs[1].ComponentBase
	if master.GetProperty(ics.ComponentPropertyRecurrenceId) != nil {
		master, override = override, master
	}
	wantLocal(t, master, ics.ComponentPropertyExdate, "America/New_York", "20270315T100000")
	wantLocal(t, override, ics.ComponentPropertyRecurrenceId, "America/New_York", "20270222T100000")
	wantLocal(t, override, ics.ComponentPropertyDtStart, "America/New_York", "20270223T153000")
	wantLocal(t, override, ics.ComponentPropertyDtEnd, "America/New_York", "20270223T161500")
	if master.Id() != override.Id() {
		t.Errorf("override UID %q differs from the series' %q", override.Id(), master.Id())
	}
	if prop(t, override, ics.ComponentPropertySummary).Value != "Weekly sync" {
		t.Error("override lacks the title")
	}
	wantSameStarts(t, expand(t, cal, from, to), e.meeting(m).OccurrencesBetween(from, to, 0))
}

// TestCalendarSeriesStartsOnARuleDate: a series whose stored start the rule
// does not match (a Wednesday start, Mondays only) is written with the
// rule's first Monday as DTSTART, so no calendar app shows an extra
// Wednesday that core doesn't have.
func TestCalendarSeriesStartsOnARuleDate(t *testing.T) {
	e := newEnv(t, envOpts{})
	start := time.Date(2027, 3, 10, 9, 30, 0, 0, nyc) // a Wednesday
	m := e.series("Weekly sync", start, 30*time.Minute, "America/New_York")
	cal, _ := e.fetchCalendar(t, m)
	wantLocal(t, &cal.Events()[0].ComponentBase, ics.ComponentPropertyDtStart, "America/New_York", "20270315T093000")
	wantLocal(t, &cal.Events()[0].ComponentBase, ics.ComponentPropertyDtEnd, "America/New_York", "20270315T100000")
	from, to := start.Add(-time.Hour), start.AddDate(0, 3, 0)
	wantSameStarts(t, expand(t, cal, from, to), e.meeting(m).OccurrencesBetween(from, to, 0))
}

// TestCalendarUntilIsUTC: core accepts UNTIL as a local date; with a TZID
// DTSTART, RFC 5545 wants a UTC instant, and it must end the series where
// core does (the whole local day included).
func TestCalendarUntilIsUTC(t *testing.T) {
	e := newEnv(t, envOpts{})
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, nyc)
	m, err := e.svc.Schedule(context.Background(), ana, core.ScheduleRequest{
		Title: "Until", Start: start, Duration: time.Hour, TimeZone: "America/New_York",
		Recurrence: "freq=weekly;byday=mo;until=20270405",
	})
	if err != nil {
		t.Fatal(err)
	}
	cal, _ := e.fetchCalendar(t, m)
	// 23:59:59 EDT on Apr 5 is 03:59:59Z on Apr 6.
	if got := prop(t, &cal.Events()[0].ComponentBase, ics.ComponentPropertyRrule).Value; got != "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270406T035959Z" {
		t.Errorf("RRULE = %q", got)
	}
	from, to := start.Add(-time.Hour), start.AddDate(1, 0, 0)
	occs := e.meeting(m).OccurrencesBetween(from, to, 0)
	if len(occs) != 6 {
		t.Errorf("core gives %d occurrences, want 6 (Mar 1 to Apr 5)", len(occs))
	}
	wantSameStarts(t, expand(t, cal, from, to), occs)
}
