package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// A VTIMEZONE is built from Go's own tzdata, so a calendar app that does
// not know the IANA name (or knows an older version of it) still places
// every occurrence at the instant core computes. The zone is scanned with
// time.Time.ZoneBounds, from the change that began the period in effect at
// the first instant the file names:
//
//   - when the zone has changed by one yearly rule per kind of change
//     (STANDARD, DAYLIGHT) since the year before that change, and keeps
//     doing so for tailYears past the file's span, the VTIMEZONE is that
//     pair of open-ended RRULE observances, each starting with its onset
//     in that earlier year: the shape calendar apps themselves publish;
//   - otherwise every real change through the end of the span is its own
//     observance (one DTSTART, no RDATE), and after the span each kind of
//     change gets a yearly RRULE observance when one reproduces Go's
//     transitions for tailYears years (else those years are listed too).
//
// Both shapes avoid DTSTART plus RDATE: ical.js (Thunderbird) ignores
// DTSTART as an onset when an RDATE is present and reads only the first
// value of each RDATE line, so it found no offset before the first listed
// change and read those local times as UTC. ts-ics does not count an RRULE
// observance's DTSTART as an onset, which the earlier first year makes
// harmless. Onsets are local times in the offset before the change (RFC
// 5545 3.6.5).

// tailYears is how far past the explicit span a derived yearly rule is
// checked against Go's tzdata, or listed one by one when none fits.
const tailYears = 20

// maxTransitions bounds the changes one scan may collect, so an odd zone
// can never turn a request into a long loop or a huge file.
const maxTransitions = 400

// zoneState is what a zone says at an instant.
type zoneState struct {
	offset int // seconds east of UTC
	name   string
	dst    bool
}

func stateAt(t time.Time, loc *time.Location) zoneState {
	lt := t.In(loc)
	name, off := lt.Zone()
	return zoneState{offset: off, name: name, dst: lt.IsDST()}
}

// transition is one change of a zone's offset, abbreviation or DST flag.
// A zero at marks the period in effect since the beginning of time.
type transition struct {
	at   time.Time
	from int // offset before the change
	zoneState
}

// onset is the change's local time in the offset before it.
func (tr transition) onset() time.Time {
	if tr.at.IsZero() {
		return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return tr.at.UTC().Add(time.Duration(tr.from) * time.Second)
}

// zoneTransitions lists the real changes (not Go's year-boundary bounds,
// which change nothing) in (from, to], at most limit of them.
func zoneTransitions(loc *time.Location, from, to time.Time, limit int) []transition {
	var out []transition
	cur := stateAt(from, loc)
	t := from
	for steps := 0; steps < 8*limit && len(out) < limit; steps++ {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() {
			break
		}
		if !end.After(t) {
			// Go's ZoneBounds can report a bound that is not after t (seen
			// past 2037, on Dec 31 of leap years, for Europe/Dublin, whose
			// rule spans the new year); look again a little later.
			end = t.Add(time.Hour)
		}
		if end.After(to) {
			break
		}
		if next := stateAt(end, loc); next != cur {
			at := end
			if stateAt(end.Add(-time.Second), loc) != cur {
				at = firstChange(loc, t, end, cur)
			}
			st := stateAt(at, loc)
			out = append(out, transition{at: at, from: cur.offset, zoneState: st})
			cur, end = st, at
		}
		t = end
	}
	return out
}

// firstChange finds, to the second, the first instant in (lo, hi] whose
// state is not cur, for when a bound from ZoneBounds is not where the
// change happens. It assumes one change in the interval.
func firstChange(loc *time.Location, lo, hi time.Time, cur zoneState) time.Time {
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if !mid.After(lo) {
			break
		}
		if stateAt(mid, loc) == cur {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// periodStart returns the change that began the state in effect at t,
// skipping bounds that change nothing; its at is zero when the zone has
// been in that state since the beginning of time (or for too long to care).
func periodStart(loc *time.Location, t time.Time) transition {
	cur := stateAt(t, loc)
	start := t
	for range 64 {
		s, _ := start.In(loc).ZoneBounds()
		if s.IsZero() {
			break
		}
		before := stateAt(s.Add(-time.Nanosecond), loc)
		if before != cur {
			return transition{at: s, from: before.offset, zoneState: cur}
		}
		start = s.Add(-time.Nanosecond)
	}
	return transition{from: cur.offset, zoneState: cur}
}

// observanceKey groups transitions that one observance can describe.
type observanceKey struct {
	from int
	zoneState
}

// observance is one STANDARD or DAYLIGHT sub-component in the making.
type observance struct {
	key   observanceKey
	onset time.Time // local wall time, as a UTC value
	rrule string
}

// buildVTimezone describes loc under tzid for instants in [from, to].
func buildVTimezone(tzid string, loc *time.Location, from, to time.Time) *ics.VTimezone {
	end := time.Date(to.In(loc).Year()+1, 1, 1, 0, 0, 0, 0, loc)
	if end.Sub(from) > 60*365*24*time.Hour { // keep the file bounded
		from = end.AddDate(-60, 0, 0)
	}
	first := periodStart(loc, from)
	tailEnd := time.Date(end.In(loc).Year()+tailYears, 1, 1, 0, 0, 0, 0, loc)
	obs := ruleObservances(loc, first, tailEnd)
	if obs == nil {
		obs = listedObservances(loc, first, from, end, tailEnd)
	}
	return writeVTimezone(tzid, obs)
}

// ruleObservances returns the yearly RRULE observances that give every
// change of loc from the year before first's onset until tailEnd, or nil
// when the zone does not change by such rules over that time.
func ruleObservances(loc *time.Location, first transition, tailEnd time.Time) []*observance {
	if first.at.IsZero() {
		return nil // no change at all, or none for too long: listed as one observance
	}
	year := first.onset().Year() - 1
	since := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	rules, ok := yearlyRules(zoneTransitions(loc, since, tailEnd, maxTransitions), year, tailEnd.In(loc).Year()-year)
	if !ok || len(rules) == 0 {
		return nil
	}
	return rules
}

// listedObservances gives first and every change through end its own
// observance, then the tail after end as yearly rules, or listed too when
// no rule fits.
func listedObservances(loc *time.Location, first transition, from, end, tailEnd time.Time) []*observance {
	list := append([]transition{first}, zoneTransitions(loc, from, end, maxTransitions)...)
	tail := zoneTransitions(loc, end, tailEnd, maxTransitions)
	rules, ok := yearlyRules(tail, end.In(loc).Year(), tailYears)
	if !ok {
		list = append(list, tail...)
	}
	obs := make([]*observance, 0, len(list)+len(rules))
	for _, tr := range list {
		obs = append(obs, &observance{key: observanceKey{from: tr.from, zoneState: tr.zoneState}, onset: tr.onset()})
	}
	return append(obs, rules...)
}

// writeVTimezone renders the observances in order.
func writeVTimezone(tzid string, obs []*observance) *ics.VTimezone {
	tz := ics.NewTimezone(tzid)
	for _, o := range obs {
		var c *ics.ComponentBase
		if o.key.dst {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			c = &d.ComponentBase
		} else {
			c = &tz.AddStandard().ComponentBase
		}
		c.AddProperty(ics.ComponentPropertyDtStart, o.onset.Format(localLayout))
		c.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(o.key.from))
		c.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(o.key.offset))
		if o.key.name != "" {
			c.AddProperty(ics.ComponentProperty(ics.PropertyTzname), o.key.name)
		}
		if o.rrule != "" {
			c.AddProperty(ics.ComponentPropertyRrule, o.rrule)
		}
	}
	return tz
}

// yearlyRules turns the changes of whole years (years of them, starting
// with year) into one yearly RRULE observance per kind of change. ok is true
// when there are no changes at all (the last state simply holds) or when
// every kind happens exactly once a year, in the same month, on the same
// weekday, at the same local time, within one 7-day window of the month:
// then "that weekday on or after day d" gives every year's date, which the
// rule says as BYDAY=2SU, BYDAY=-1SU or BYMONTHDAY=d..d+6;BYDAY=SU.
func yearlyRules(tail []transition, year, years int) (rules []*observance, ok bool) {
	if len(tail) == 0 {
		return nil, true
	}
	var keys []observanceKey
	byKey := map[observanceKey][]time.Time{}
	for _, tr := range tail {
		k := observanceKey{from: tr.from, zoneState: tr.zoneState}
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], tr.onset())
	}
	for _, k := range keys {
		rule, ok := yearlyRule(byKey[k], year, years)
		if !ok {
			return nil, false
		}
		rules = append(rules, &observance{key: k, onset: byKey[k][0], rrule: rule})
	}
	return rules, true
}

// yearlyRule finds the rule that gives onsets (local wall times, one per
// year for years years from year on), or reports that none of the
// supported shapes does.
func yearlyRule(onsets []time.Time, year, years int) (string, bool) {
	if len(onsets) != years {
		return "", false
	}
	first := onsets[0]
	minDay, maxDay, lastWeek := 31, 1, true
	for i, t := range onsets {
		if t.Year() != year+i || t.Month() != first.Month() || t.Weekday() != first.Weekday() ||
			t.Hour() != first.Hour() || t.Minute() != first.Minute() || t.Second() != first.Second() {
			return "", false
		}
		minDay, maxDay = min(minDay, t.Day()), max(maxDay, t.Day())
		dim := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		lastWeek = lastWeek && t.Day() > dim-7
	}
	if maxDay-minDay > 6 {
		return "", false
	}
	wd := strings.ToUpper(first.Weekday().String()[:2])
	head := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;", int(first.Month()))
	for _, d := range []int{1, 8, 15, 22} {
		if d <= minDay && maxDay <= d+6 {
			return head + "BYDAY=" + strconv.Itoa((d+6)/7) + wd, true
		}
	}
	if lastWeek {
		return head + "BYDAY=-1" + wd, true
	}
	days := make([]string, 0, 7)
	for d := max(1, maxDay-6); d <= max(1, maxDay-6)+6 && d <= 31; d++ {
		days = append(days, strconv.Itoa(d))
	}
	return head + "BYMONTHDAY=" + strings.Join(days, ",") + ";BYDAY=" + wd, true
}

// utcOffset formats seconds east of UTC as RFC 5545's UTC-OFFSET: "-0500",
// "+0530", with seconds only when there are any.
func utcOffset(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	s := fmt.Sprintf("%s%02d%02d", sign, secs/3600, secs/60%60)
	if secs%60 != 0 {
		s += fmt.Sprintf("%02d", secs%60)
	}
	return s
}
