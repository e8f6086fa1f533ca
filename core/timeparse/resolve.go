package timeparse

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// resolve ties a phrase to the calendar around now (already in loc) and
// returns the instant. All day arithmetic happens on civil dates (UTC
// midnights, which have no DST), and the wall clock is turned into an
// instant once, at the end, by resolveWall.
func resolve(p phrase, input string, now time.Time, loc *time.Location) (Result, error) {
	if p.relative {
		// An exact offset: "in 2 hours" is two hours of real time even when
		// the clocks change in between. Seconds are dropped so that the
		// meeting starts on a minute.
		return Result{Time: now.Add(p.instant).Truncate(time.Minute).In(loc)}, nil
	}

	var notes []string
	h, mi := p.hour, p.minute
	switch {
	case p.hasClock:
		if p.clockNote != "" {
			notes = append(notes, p.clockNote)
		}
	case p.tonight:
		h, mi = 20, 0
		notes = append(notes, `I took "tonight" as 8:00 PM.`)
	case p.date == dateToday:
		return Result{}, invalid(`%q needs a time of day, such as "today 5pm".`, input)
	case p.date == dateRelative:
		h, mi = now.Hour(), now.Minute()
	default:
		h, mi = now.Hour(), now.Minute()
		notes = append(notes, fmt.Sprintf("No time of day was given, so I kept the current time, %s.", formatClock(h, mi)))
	}

	today := civil(now.Year(), now.Month(), now.Day())
	day := today
	roll := 0 // days to move forward if the time has passed; 0 means "it is an error"
	switch p.date {
	case dateNone:
		roll = 1
	case dateToday:
	case dateTomorrow:
		day = today.AddDate(0, 0, 1)
	case dateWeekday:
		diff := (int(p.weekday) - int(today.Weekday()) + 7) % 7
		if diff == 0 && p.next {
			diff = 7
		}
		day = today.AddDate(0, 0, diff)
		if diff == 0 && !p.this {
			roll = 7
		}
	case dateMonthDay:
		var note string
		var err error
		day, note, err = pickYear(p.month, p.day, today)
		if err != nil {
			return Result{}, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	case dateExact:
		day = civil(p.year, p.month, p.day)
	case dateRelative:
		day = addMonths(today, 12*p.relYears+p.relMonths).AddDate(0, 0, p.relDays)
	}

	t, wallNote := resolveWall(day, h, mi, loc)
	if !t.After(now) && roll > 0 {
		day = day.AddDate(0, 0, roll)
		t, wallNote = resolveWall(day, h, mi, loc)
		when := "tomorrow"
		if roll == 7 {
			when = "next " + day.Weekday().String()
		}
		notes = append(notes, fmt.Sprintf("%s today has already passed, so I used %s, %s.",
			formatClock(h, mi), when, day.Format("Mon Jan 2")))
	}
	if wallNote != "" {
		notes = append(notes, wallNote)
	}
	return Result{Time: t, Note: strings.Join(notes, " ")}, nil
}

// civil returns the civil date y-m-d as a UTC midnight. UTC has no DST, so
// AddDate on it is pure calendar arithmetic.
func civil(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// addMonths moves a civil date by n months, clamping the day to the end of
// the target month (Jan 31 + 1 month = Feb 28), which is what people mean by
// "in a month" rather than time.AddDate's overflow into March.
func addMonths(day time.Time, n int) time.Time {
	first := time.Date(day.Year(), day.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	d := min(day.Day(), daysIn(first.Year(), first.Month()))
	return civil(first.Year(), first.Month(), d)
}

// pickYear chooses the year for a month and day typed without one: this year
// if the date is today or later, otherwise the next year that has it (with a
// note), because "jan 5" typed in December means the coming January and
// "feb 29" means the next leap day.
func pickYear(m time.Month, d int, today time.Time) (time.Time, string, error) {
	for y := today.Year(); y <= today.Year()+MaxYearsAhead; y++ {
		if d > daysIn(y, m) {
			continue
		}
		day := civil(y, m, d)
		if day.Before(today) {
			continue
		}
		if y == today.Year() {
			return day, "", nil
		}
		return day, fmt.Sprintf("The next %s is in %d, so I used %s.",
			day.Format("Jan 2"), y, day.Format("Mon Jan 2 2006")), nil
	}
	return time.Time{}, "", invalid("There is no %s %d in the next %d years. Try a date such as \"dec 3 14:00\".", m, d, MaxYearsAhead)
}

// resolveWall turns a wall-clock time on a civil date into an instant in loc,
// deciding the two cases time.Date leaves open:
//
//   - A time inside a spring-forward gap does not exist. Following RFC 5545
//     it is read with the UTC offset in effect before the gap, so 2:30 AM on
//     a day New York jumps from 2:00 to 3:00 becomes 3:30 AM EDT.
//   - A time inside a fall-back overlap happens twice. The first (earlier)
//     instant is used, so nobody is an hour late.
//
// Both cases return a note for the user.
func resolveWall(day time.Time, hour, minute int, loc *time.Location) (time.Time, string) {
	wall := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, time.UTC).Unix()

	// Every UTC offset loc uses within two days of the wall time; a real
	// zone changes offset at most once in that span.
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
	sort.Slice(valid, func(i, j int) bool { return valid[i].Before(valid[j]) })

	date := day.Format("Mon Jan 2 2006")
	switch {
	case len(valid) == 1:
		return valid[0], ""
	case len(valid) > 1:
		t := valid[0]
		return t, fmt.Sprintf("%s happens twice on %s in %s (clocks fall back); using the first (%s).",
			formatClock(hour, minute), date, loc, t.Format("MST"))
	}
	// The gap: take the offset in effect just before the transition. The
	// largest offset seen is the one after a spring-forward change, and the
	// instant it gives lies before the change.
	largest := offsets[0]
	for _, off := range offsets {
		largest = max(largest, off)
	}
	_, before := time.Unix(wall-int64(largest), 0).In(loc).Zone()
	t := time.Unix(wall-int64(before), 0).In(loc)
	return t, fmt.Sprintf("%s does not exist on %s in %s (clocks jump forward); using %s.",
		formatClock(hour, minute), date, loc, t.Format("3:04 PM MST"))
}
