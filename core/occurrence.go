package core

import (
	"slices"
	"time"

	"github.com/meetbot/meetbot/core/recur"
)

// IsRecurring reports whether the meeting is a series.
func (m *Meeting) IsRecurring() bool { return m.Recurrence != "" }

// zone returns the meeting's IANA zone (UTC if it no longer loads).
func (m *Meeting) zone() *time.Location { return loadZone(m.TimeZone) }

// exception returns the exception for the occurrence the rule starts at
// original, if any.
func (m *Meeting) exception(original time.Time) (Exception, bool) {
	for _, e := range m.Exceptions {
		if e.Original.Equal(original) {
			return e, true
		}
	}
	return Exception{}, false
}

// occurrence builds the occurrence the rule starts at original, applying
// its exception; ok is false when it was skipped.
func (m *Meeting) occurrence(original time.Time) (Occurrence, bool) {
	o := Occurrence{Start: original, End: original.Add(m.Duration), Original: original}
	if e, has := m.exception(original); has {
		if e.Skipped {
			return Occurrence{}, false
		}
		if !e.Start.IsZero() {
			o.Start, o.End = e.Start, e.Start.Add(m.Duration)
		}
	}
	return o, true
}

// maxOccurrenceScan bounds how many rule starts one lookup expands, so a
// pathological rule can never turn a join into a long loop.
const maxOccurrenceScan = 2000

// OccurrencesBetween returns the occurrences that start in [from, to), in
// start order, at most limit, with skips and moves applied. A one-off
// meeting has exactly one occurrence.
func (m *Meeting) OccurrencesBetween(from, to time.Time, limit int) []Occurrence {
	var out []Occurrence
	add := func(o Occurrence) {
		if !o.Start.Before(from) && o.Start.Before(to) {
			out = append(out, o)
		}
	}
	if !m.IsRecurring() {
		if o, ok := m.occurrence(m.Start); ok {
			add(o)
		}
		return out
	}
	// A moved occurrence can land in the range while its rule start lies
	// outside it, so widen the rule scan by the largest move.
	lo, hi := from, to
	for _, e := range m.Exceptions {
		if e.Start.IsZero() {
			continue
		}
		// d < 0: moved later, so its rule start may lie before from;
		// d > 0: moved earlier, so its rule start may lie after to.
		switch d := e.Original.Sub(e.Start); {
		case d < 0 && from.Add(d).Before(lo):
			lo = from.Add(d)
		case d > 0 && to.Add(d).After(hi):
			hi = to.Add(d)
		}
	}
	starts, err := recur.Between(m.Recurrence, m.Start, m.zone(), lo, hi, maxOccurrenceScan)
	if err != nil {
		return out
	}
	for _, st := range starts {
		if o, ok := m.occurrence(st); ok {
			add(o)
		}
	}
	slices.SortFunc(out, func(a, b Occurrence) int { return a.Start.Compare(b.Start) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// CurrentOccurrence returns the occurrence whose join window matters at now:
// the one whose window is open, else the next to come, else the last one
// (so "it ended at …" can be said). early and grace are the window margins.
func (m *Meeting) CurrentOccurrence(now time.Time, early, grace time.Duration) Occurrence {
	if !m.IsRecurring() {
		o, _ := m.occurrence(m.Start)
		if o.Start.IsZero() { // the single occurrence was skipped
			return Occurrence{Start: m.Start, End: m.End(), Original: m.Start}
		}
		return o
	}
	// An occurrence whose window has not closed yet ends after now-grace,
	// so it starts after now-d-grace (windows are open on the right).
	// Each look computes every rule start in its range (the earliest is
	// known only then), and this runs on every job: look six weeks ahead
	// first, where nearly every series starts again, and only then five
	// years. The answer is the same; a daily series costs 42 starts, not
	// 1,800.
	from := now.Add(-m.Duration - grace + time.Nanosecond)
	for _, to := range []time.Time{now.AddDate(0, 0, 42), now.AddDate(5, 0, 0)} {
		if next := m.OccurrencesBetween(from, to, 1); len(next) > 0 {
			return next[0]
		}
	}
	if last, ok := m.lastBefore(now); ok {
		return last
	}
	return Occurrence{Start: m.Start, End: m.End(), Original: m.Start}
}

// lastWindow is the longest stretch lastBefore looks at in one step. A
// series starts at most once a day, so one step finds at most this many
// occurrences, well under maxOccurrenceScan.
const lastWindow = 1000 * 24 * time.Hour

// lastBefore returns the series' last occurrence starting before now. It
// looks back from now in adjacent windows, a month first and then twice as
// long each step up to lastWindow, and stops at the first that holds an
// occurrence: a series that is over is found near its end, not by walking
// it from its first start.
func (m *Meeting) lastBefore(now time.Time) (Occurrence, bool) {
	floor := m.Start.Add(-time.Hour)
	for to, span := now, 31*24*time.Hour; to.After(floor); to, span = to.Add(-span), min(2*span, lastWindow) {
		from := to.Add(-span)
		if from.Before(floor) {
			from = floor
		}
		if past := m.OccurrencesBetween(from, to, maxOccurrenceScan); len(past) > 0 {
			return past[len(past)-1], true
		}
	}
	return Occurrence{}, false
}

// NextOccurrences returns up to n occurrences starting at or after now.
func (m *Meeting) NextOccurrences(now time.Time, n int) []Occurrence {
	return m.OccurrencesBetween(now, now.AddDate(5, 0, 0), n)
}

// SkippedBetween returns the rule starts in [from, to) whose occurrence was
// skipped, in order, so a listing of the next occurrences can say which
// dates are left out rather than show a silent gap.
func (m *Meeting) SkippedBetween(from, to time.Time) []time.Time {
	var out []time.Time
	for _, e := range m.Exceptions {
		if e.Skipped && !e.Original.Before(from) && e.Original.Before(to) {
			out = append(out, e.Original)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}
