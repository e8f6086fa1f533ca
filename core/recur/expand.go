package recur

import (
	"time"

	"github.com/teambition/rrule-go"
)

// The years a series may start in. rrule-go stops at year 9999, and the
// emptiness probe needs a few centuries of room below that.
const (
	minYear = 1900
	maxYear = 9000
)

// series is a checked rule tied to its first start and zone.
type series struct {
	spec  *spec
	loc   *time.Location
	start time.Time // DTSTART: the first start's wall clock in loc, as UTC fields
}

// newSeries compiles rule for a series whose first start is first in loc.
func newSeries(rule string, first time.Time, loc *time.Location) (*series, error) {
	if loc == nil {
		loc = time.UTC
	}
	sp, err := compile(rule)
	if err != nil {
		return nil, err
	}
	start := wallOf(first, loc)
	if y := start.Year(); first.IsZero() || y < minYear || y > maxYear {
		return nil, userError("A series must start between the years %d and %d; pick a first meeting such as \"tomorrow 9:30\".", minYear, maxYear)
	}
	return &series{spec: sp, loc: loc, start: start}, nil
}

// build makes rrule-go's rule from opt with DTSTART at the wall time
// dtstart, moved shift years (a multiple of 400) along the calendar. UNTIL
// becomes a wall-clock bound for the library; an UNTIL instant is enforced
// exactly by each, after the wall times are resolved.
func (sr *series) build(opt rrule.ROption, dtstart time.Time, shift int) *rrule.RRule {
	opt.Dtstart = dtstart
	switch sr.spec.untilKind {
	case untilInstant:
		// A day of slack: near a fall-back change a wall time can compare
		// differently from the instant it resolves to.
		opt.Until = wallOf(sr.spec.until, sr.loc).AddDate(0, 0, 1)
	case untilWall:
		opt.Until = sr.spec.until
	case untilDay:
		opt.Until = sr.spec.until.Add(24*time.Hour - time.Second)
	}
	if shift != 0 {
		opt.Dtstart = opt.Dtstart.AddDate(shift, 0, 0)
		if !opt.Until.IsZero() {
			opt.Until = opt.Until.AddDate(shift, 0, 0)
		}
	}
	r, err := rrule.NewRRule(opt)
	if err != nil { // compile already ran the same checks
		return nil
	}
	return r
}

// seekMargin is how far before the asked instant's wall clock a resumed
// iteration starts. A wall time resolves to an instant at most 14 hours
// before or 12 hours after it reads (the extreme UTC offsets), so two days
// cannot lose a start.
const seekMargin = 48 * time.Hour

// rule returns the rrule-go rule to iterate for the starts from about from
// on. A series without COUNT repeats period by period (a day, a week, a
// month or a year, as FREQ says, every INTERVAL of them, counted from the
// first start's period), and each period's starts depend on nothing before
// it, so the rule is resumed at the start of the last such period that
// begins seekMargin or more before from: the cost of a lookup then does not
// grow with the series' age. A COUNT series is walked from its first start,
// since the count runs from there; it has at most MaxCount starts.
func (sr *series) rule(from time.Time) *rrule.RRule {
	if sr.spec.opt.Count == 0 && !from.IsZero() {
		if at, ok := sr.periodStart(wallOf(from, sr.loc).Add(-seekMargin)); ok {
			return sr.build(sr.pinned(), at, 0)
		}
	}
	return sr.build(sr.spec.opt, sr.start, 0)
}

// pyWeekdays are rrule-go's weekdays in time.Weekday order.
var pyWeekdays = [...]rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

// pinned returns the rule's options with every part rrule-go would take
// from DTSTART written out (the time of day, and the weekday, day or month
// of a rule that names none), so the rule means the same from a later
// DTSTART.
func (sr *series) pinned() rrule.ROption {
	opt, d := sr.spec.opt, sr.start
	if len(opt.Bymonthday) == 0 && len(opt.Byweekday) == 0 && len(opt.Byyearday) == 0 &&
		len(opt.Byweekno) == 0 && len(opt.Byeaster) == 0 {
		switch opt.Freq {
		case rrule.YEARLY:
			if len(opt.Bymonth) == 0 {
				opt.Bymonth = []int{int(d.Month())}
			}
			opt.Bymonthday = []int{d.Day()}
		case rrule.MONTHLY:
			opt.Bymonthday = []int{d.Day()}
		case rrule.WEEKLY:
			opt.Byweekday = []rrule.Weekday{pyWeekdays[d.Weekday()]}
		}
	}
	opt.Byhour, opt.Byminute, opt.Bysecond = []int{d.Hour()}, []int{d.Minute()}, []int{d.Second()}
	return opt
}

// periodStart returns the midnight that begins the latest period of the
// series at or before the wall time w, counting whole INTERVALs of periods
// from the first start's period; ok is false when that is the first
// period itself, where the iteration must begin at the first start. A week
// begins on WKST, as rrule-go counts weeks.
func (sr *series) periodStart(w time.Time) (time.Time, bool) {
	d, k := sr.start, max(sr.spec.opt.Interval, 1)
	first := midnight(d)
	var n int
	var at func(j int) time.Time
	switch sr.spec.opt.Freq {
	case rrule.DAILY:
		n = int(midnight(w).Sub(first) / (24 * time.Hour))
		at = func(j int) time.Time { return first.AddDate(0, 0, j) }
	case rrule.WEEKLY:
		// Days since the week began: Day counts from Monday = 0.
		back := (int(d.Weekday()) + 6 - sr.spec.opt.Wkst.Day()) % 7
		week := first.AddDate(0, 0, -back)
		n = int(midnight(w).Sub(week) / (7 * 24 * time.Hour))
		at = func(j int) time.Time { return week.AddDate(0, 0, 7*j) }
	case rrule.MONTHLY:
		n = (w.Year()-d.Year())*12 + int(w.Month()) - int(d.Month())
		at = func(j int) time.Time { return time.Date(d.Year(), d.Month()+time.Month(j), 1, 0, 0, 0, 0, time.UTC) }
	case rrule.YEARLY:
		n = w.Year() - d.Year()
		at = func(j int) time.Time { return time.Date(d.Year()+j, 1, 1, 0, 0, 0, 0, time.UTC) }
	default:
		return time.Time{}, false
	}
	if j := n / k * k; n > 0 && j > 0 {
		return at(j), true
	}
	return time.Time{}, false
}

// midnight returns the start of w's day (w has UTC fields).
func midnight(w time.Time) time.Time {
	y, m, day := w.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// each calls fn with the series' starts in order, as instants in loc, until
// fn returns false or the series ends. Starts well before from may be left
// out (see rule); a zero from gives every start.
func (sr *series) each(from time.Time, fn func(time.Time) bool) {
	r := sr.rule(from)
	if r == nil {
		return
	}
	var cutoff time.Time // wall times before it resolve to instants before from
	if !from.IsZero() {
		cutoff = wallOf(from, sr.loc).Add(-seekMargin)
	}
	next := r.Iterator()
	for {
		w, ok := next()
		if !ok {
			return
		}
		if w.Before(cutoff) {
			continue
		}
		t, _ := instant(w, sr.loc)
		if sr.spec.untilKind == untilInstant && t.After(sr.spec.until) {
			return
		}
		if !fn(t) {
			return
		}
	}
}

// probeYear is where the probe moves a series' start to: far enough below
// rrule-go's last year (9999) to look at least a century ahead, and at most
// five, so a rule that never matches costs milliseconds, not a scan to 9999.
const probeYear = 9500

// first returns the series' first start, or false when the rule never
// produces a date. It runs the rule on a copy of the calendar moved by a
// whole number of 400-year Gregorian cycles, which repeat weekdays, month
// lengths and leap years exactly, so the answer is the same as on the real
// calendar while the library's search stops by itself near year 9999.
func (sr *series) first() (time.Time, bool) {
	shift := 0
	if y := sr.start.Year(); y < probeYear {
		shift = (probeYear - y + 399) / 400 * 400
	}
	r := sr.build(sr.spec.opt, sr.start, shift)
	if r == nil {
		return time.Time{}, false
	}
	w, ok := r.Iterator()()
	if !ok {
		return time.Time{}, false
	}
	t, _ := instant(w.AddDate(-shift, 0, 0), sr.loc)
	if sr.spec.untilKind == untilInstant && t.After(sr.spec.until) {
		return time.Time{}, false
	}
	return t, true
}

// open compiles a series and makes sure it has at least one start, so the
// expansion below never asks the library to search for a date that does not
// exist (which it does by scanning every period up to the year 9999).
func open(rule string, first time.Time, loc *time.Location) (*series, error) {
	sr, err := newSeries(rule, first, loc)
	if err != nil {
		return nil, err
	}
	if _, ok := sr.first(); !ok {
		return nil, userError("That repeat rule never produces a date after the first meeting. Try %q.", exampleRule)
	}
	return sr, nil
}

// Between expands a series. rule is an RRULE body ("FREQ=WEEKLY;BYDAY=MO",
// without "RRULE:" and without DTSTART); first is the series' first start,
// whose wall clock in loc is the DTSTART; the result is the starts t with
// from <= t < to, in order, at most limit of them (none when limit <= 0).
//
// Every start keeps first's wall-clock time in loc across daylight-saving
// changes. A wall time the clocks skip is read with the offset before the
// gap (02:30 on a spring-forward day in New York is 03:30 EDT), and one the
// clocks repeat takes its first occurrence, as Date does. As in RFC 5545
// practice (and rrule-go), first itself is a start only if the rule matches
// it. A nil loc means UTC. The error is the same as Validate's for a rule
// that cannot be expanded.
func Between(rule string, first time.Time, loc *time.Location, from, to time.Time, limit int) ([]time.Time, error) {
	sr, err := open(rule, first, loc)
	if err != nil || limit <= 0 || !from.Before(to) {
		return nil, err
	}
	var out []time.Time
	sr.each(from, func(t time.Time) bool {
		if !t.Before(to) {
			return false
		}
		if !t.Before(from) {
			out = append(out, t)
		}
		return len(out) < limit
	})
	return out, nil
}

// After returns up to n starts of the series strictly after t, in order.
// It is meant for small n ("the next three meetings"); n is capped at
// MaxCount. The arguments mean what they mean for Between.
func After(rule string, first time.Time, loc *time.Location, t time.Time, n int) ([]time.Time, error) {
	sr, err := open(rule, first, loc)
	if err != nil || n <= 0 {
		return nil, err
	}
	n = min(n, MaxCount)
	var out []time.Time
	sr.each(t, func(s time.Time) bool {
		if s.After(t) {
			out = append(out, s)
		}
		return len(out) < n
	})
	return out, nil
}

// First is where a new series begins, as NextStart works it out.
type First struct {
	// Start is the first start. Its wall clock in the zone is exactly the
	// time of day asked for, so it can serve as the series' DTSTART.
	Start time.Time
	// Fold is Exact, or Repeated when that time of day happens twice on
	// Start's day (clocks fall back) and the first was taken.
	Fold Fold
	// Passed is set when an earlier day the rule matches was passed over
	// because the time of day does not exist on it (clocks jump forward).
	// It holds the instant that day's meeting would have had (02:30 read as
	// 03:30): a first start there would put every later meeting at 03:30,
	// since the first start's wall clock is the DTSTART. Later such days
	// keep their meeting, at the shifted time.
	Passed time.Time
}

// NextStart returns where a series typed at now should begin: the earliest
// start at hour:minute local time in loc, not before now, on a day the rule
// matches. The rule's INTERVAL, COUNT and UNTIL are ignored for this, so
// "every 2 weeks on Tuesday" typed on a Wednesday begins the coming Tuesday
// rather than the one after, and the interval then counts from there. Store
// First.Start as the series' first start (with the full rule).
func NextStart(rule string, loc *time.Location, now time.Time, hour, minute int) (First, error) {
	if loc == nil {
		loc = time.UTC
	}
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return First{}, userError("%02d:%02d is not a time of day; use one such as \"9:30\".", hour, minute)
	}
	sp, err := compile(rule)
	if err != nil {
		return First{}, err
	}
	sp.opt.Interval, sp.opt.Count = 1, 0
	sp.until, sp.untilKind = time.Time{}, untilNone
	today := wallOf(now, loc)
	start := time.Date(today.Year(), today.Month(), today.Day(), hour, minute, 0, 0, time.UTC)
	if y := start.Year(); y < minYear || y > maxYear {
		return First{}, userError("A series must start between the years %d and %d; pick a first meeting such as \"tomorrow 9:30\".", minYear, maxYear)
	}
	sr := &series{spec: sp, loc: loc, start: start}
	if _, ok := sr.first(); !ok {
		return First{}, userError("That repeat rule never produces a date. Try %q.", exampleRule)
	}
	var f First
	sr.each(time.Time{}, func(t time.Time) bool {
		if t.Before(now) {
			return true
		}
		if w := wallOf(t, loc); w.Hour() != hour || w.Minute() != minute {
			if f.Passed.IsZero() {
				f.Passed = t
			}
			return true
		}
		f.Start = t
		return false
	})
	if f.Start.IsZero() {
		return First{}, userError("That repeat rule has no date after today. Try %q.", exampleRule)
	}
	_, f.Fold = instant(wallOf(f.Start, loc), loc)
	return f, nil
}

// Validate checks an RRULE body for a series whose first start is first
// (its wall clock in first's location is the DTSTART). The rule must parse;
// repeat at most once a day (FREQ=HOURLY and faster are refused, since a
// meeting series that often is a mistake); end after at most MaxCount
// meetings if it has a COUNT; not end (UNTIL) before first; contain no
// DTSTART and no "RRULE:" prefix; use only the parts meetbot reads (FREQ,
// INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST); and
// produce at least one start. The error is one plain sentence with an
// example that works, fit to show the person who typed the rule.
func Validate(rule string, first time.Time) error {
	sr, err := newSeries(rule, first, first.Location())
	if err != nil {
		return err
	}
	sp := sr.spec
	var ends time.Time // the end, as an instant, for the messages
	switch sp.untilKind {
	case untilInstant:
		ends = sp.until
	case untilWall:
		ends, _ = instant(sp.until, sr.loc)
	case untilDay:
		ends, _ = instant(sp.until.Add(24*time.Hour-time.Second), sr.loc)
	}
	if !ends.IsZero() && ends.Before(first) {
		return userError("The series would end (%s) before its first meeting (%s). Give a later UNTIL or use COUNT, such as %q.",
			ends.In(sr.loc).Format("Jan 2 2006"), first.In(sr.loc).Format("Jan 2 2006"), "FREQ=WEEKLY;COUNT=10")
	}
	if _, ok := sr.first(); !ok {
		if !ends.IsZero() {
			return userError("That repeat rule has no date between the first meeting and its UNTIL (%s). Give a later UNTIL, such as %q.",
				ends.In(sr.loc).Format("Jan 2 2006"), "FREQ=WEEKLY;COUNT=10")
		}
		return userError("That repeat rule never produces a date (for example, there is no February 30). Try %q.", exampleRule)
	}
	return nil
}
