package recur

import (
	"slices"
	"time"
)

// Fold says how a wall-clock time relates to the clock changes of its zone.
type Fold int

// The three ways a local wall-clock time can map to instants.
const (
	// Exact means the wall time happens exactly once.
	Exact Fold = iota
	// Skipped means the wall time falls in a spring-forward gap and never
	// shows on the clock; Date read it with the offset in effect before the
	// gap, so it lands as far after the gap's start as it was typed.
	Skipped
	// Repeated means the wall time falls in a fall-back overlap and shows
	// twice; Date returned the first (earlier) instant.
	Repeated
)

// Date turns a wall-clock time in loc into an instant, like time.Date, but
// decides the two cases time.Date leaves to chance in the way RFC 5545
// prescribes for recurring events:
//
//   - A time inside a spring-forward gap does not exist. It is read with the
//     UTC offset in effect before the gap, so 02:30 on a day New York jumps
//     from 02:00 to 03:00 becomes 03:30 EDT (07:30Z). time.Date instead
//     picks 01:30 EST, half an hour before the gap, which would start a
//     meeting an hour early.
//   - A time inside a fall-back overlap happens twice. The first (earlier)
//     instant is used, so nobody arrives an hour late.
//
// The Fold result says which case applied, so callers can tell the user.
// This is the single wall-clock to instant step of meetbot: the time parser
// and the recurrence expansion both use it, so a one-off meeting and a series
// read the same wall time the same way. A nil loc means UTC.
func Date(year int, month time.Month, day, hour, minute, sec int, loc *time.Location) (time.Time, Fold) {
	if loc == nil {
		loc = time.UTC
	}
	// wall is the wall clock read as if it were UTC; the instant we want is
	// wall minus the zone's offset at that instant.
	wall := time.Date(year, month, day, hour, minute, sec, 0, time.UTC).Unix()

	// Every UTC offset loc uses within two days of the wall time; real zones
	// change offset at most once in that span (even Samoa's skipped day).
	var offsets []int
	for k := int64(-8); k <= 8; k++ {
		_, off := time.Unix(wall+k*6*3600, 0).In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	// An offset is valid when the instant it gives really has that offset,
	// that is, when the instant shows the wanted wall clock.
	var valid []time.Time
	for _, off := range offsets {
		t := time.Unix(wall-int64(off), 0).In(loc)
		if _, o := t.Zone(); o == off {
			valid = append(valid, t)
		}
	}
	switch {
	case len(valid) == 1:
		return valid[0], Exact
	case len(valid) > 1:
		first := slices.MinFunc(valid, func(a, b time.Time) int { return a.Compare(b) })
		return first, Repeated
	}
	// The gap: the largest offset seen is the one after a spring-forward
	// change, and wall minus it lies before the change, so the zone's offset
	// there is the one in effect before the gap.
	_, before := time.Unix(wall-int64(slices.Max(offsets)), 0).In(loc).Zone()
	return time.Unix(wall-int64(before), 0).In(loc), Skipped
}

// wallOf returns t's wall clock in loc as a UTC time with the same fields.
// Recurrence expansion runs on such values: UTC has no clock changes, so the
// rule engine's calendar arithmetic cannot be disturbed by DST, and Date
// turns each result into an instant afterwards.
func wallOf(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// instant resolves a UTC-fields wall time in loc.
func instant(w time.Time, loc *time.Location) (time.Time, Fold) {
	return Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), loc)
}
