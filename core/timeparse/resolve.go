package timeparse

import (
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core/recur"
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

	day, roll, dayNote, err := p.civilDay(civil(now.Year(), now.Month(), now.Day()))
	if err != nil {
		return Result{}, err
	}
	if dayNote != "" {
		notes = append(notes, dayNote)
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

// civilDay returns the civil date (a UTC midnight) a phrase names, given
// today's civil date. roll is how many days to move forward if the time on
// that day has already passed (1 for a bare time of day, 7 for a bare
// weekday), or 0 when a passed time is an error. note explains a year the
// phrase did not give.
func (p phrase) civilDay(today time.Time) (day time.Time, roll int, note string, err error) {
	switch p.date {
	case dateNone:
		return today, 1, "", nil
	case dateToday:
		return today, 0, "", nil
	case dateTomorrow:
		return today.AddDate(0, 0, 1), 0, "", nil
	case dateWeekday:
		diff := (int(p.weekday) - int(today.Weekday()) + 7) % 7
		if diff == 0 && p.next {
			diff = 7
		}
		if diff == 0 && !p.this {
			roll = 7
		}
		return today.AddDate(0, 0, diff), roll, "", nil
	case dateMonthDay:
		day, note, err = pickYear(p.month, p.day, today)
		return day, 0, note, err
	case dateExact:
		return civil(p.year, p.month, p.day), 0, "", nil
	case dateRelative:
		return addMonths(today, 12*p.relYears+p.relMonths).AddDate(0, 0, p.relDays), 0, "", nil
	}
	return today, 0, "", nil
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

// resolveWall turns a wall-clock time on a civil date into an instant in loc
// with recur.Date, the one wall-clock to instant step meetbot has (so a
// one-off meeting and a series read a wall time the same way): a time in a
// spring-forward gap is read with the offset before the gap (2:30 AM on a
// day New York jumps from 2:00 to 3:00 becomes 3:30 AM EDT), and a time the
// clocks repeat takes the first occurrence. Both cases return a note for
// the user.
func resolveWall(day time.Time, hour, minute int, loc *time.Location) (time.Time, string) {
	t, fold := recur.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, loc)
	return t, FoldNote(fold, t, hour, minute)
}

// FoldNote explains, in one sentence for the user, how a wall time of
// hour:minute that became t was placed around a clock change (see
// recur.Date), or returns "" when fold is recur.Exact. The time parser adds
// it to a Result's note; callers that resolve wall times themselves (a
// series' first start) use it to say the same thing the same way.
func FoldNote(fold recur.Fold, t time.Time, hour, minute int) string {
	date := t.Format("Mon Jan 2 2006")
	switch fold {
	case recur.Repeated:
		return fmt.Sprintf("%s happens twice on %s in %s (clocks fall back); using the first (%s).",
			formatClock(hour, minute), date, t.Location(), t.Format("MST"))
	case recur.Skipped:
		return fmt.Sprintf("%s does not exist on %s in %s (clocks jump forward); using %s.",
			formatClock(hour, minute), date, t.Location(), t.Format("3:04 PM MST"))
	}
	return ""
}
