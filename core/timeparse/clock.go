package timeparse

import (
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// clockExamples is the hint for ParseClock errors; each one parses.
const clockExamples = `"9:30", "5pm" or "at 16:00"`

// ParseClock reads a time of day and nothing else ("9:30", "5pm", "at
// 16:00", "noon", "morning"), as typed after a repetition such as
// "weekdays 9:30". It returns the wall-clock hour (0-23) and minute, not an
// instant: a series keeps that wall time on every day, and each day's
// instant is decided by recur.Date. note is set when a word stood for a
// time ("morning" → 8:00 AM). A phrase that names a day as well ("tomorrow
// 3pm") or an offset ("in 2 hours") is not a time of day; for it, and for
// anything that is not a time, the error satisfies IsUnrecognized. Every
// error is a *core.Error with code EINVALID.
func ParseClock(input string) (hour, minute int, note string, err error) {
	trimmed := strings.TrimSpace(input)
	notClock := core.Wrap(core.EINVALID, unrecognizedError{},
		fmt.Sprintf("I couldn't read %q as a time of day. Try %s.", short(trimmed), clockExamples))
	if trimmed == "" || len(trimmed) > MaxInputLen {
		return 0, 0, "", notClock
	}
	text, ok := normalize(trimmed)
	if !ok {
		return 0, 0, "", notClock
	}
	p, err := parsePhrase(text, trimmed)
	switch {
	case err != nil && IsUnrecognized(err):
		return 0, 0, "", notClock
	case err != nil:
		return 0, 0, "", err
	case !p.hasClock || p.date != dateNone || p.relative || p.tonight:
		return 0, 0, "", notClock
	}
	return p.hour, p.minute, p.clockNote, nil
}

// ParseDay reads a day without a time of day ("monday", "tomorrow", "dec
// 24", "2027-03-15", "in 3 days") relative to now in loc (UTC when nil), and
// returns that day's first instant in loc (its 00:00, or the first instant
// after a clock change at midnight). It serves commands that act on a whole
// day, such as skipping a series' meeting on a date or ending a series on
// one. Today is accepted; an earlier day, or one more than MaxYearsAhead
// ahead, is an error. A phrase with a time of day in it is not a day: for it,
// and for anything that is not a date, the error satisfies IsUnrecognized,
// so the caller can try Parse instead. Every error is a *core.Error with code
// EINVALID.
func ParseDay(input string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	trimmed := strings.TrimSpace(input)
	notDay := core.Wrap(core.EINVALID, unrecognizedError{},
		fmt.Sprintf("I couldn't read %q as a day. Try \"monday\", \"dec 24\" or \"2027-03-15\".", short(trimmed)))
	if trimmed == "" || len(trimmed) > MaxInputLen {
		return time.Time{}, notDay
	}
	text, ok := normalize(trimmed)
	if !ok {
		return time.Time{}, notDay
	}
	p, err := parseISO(text, trimmed)
	if err == nil && p == nil {
		p, err = parsePhrase(text, trimmed)
	}
	switch {
	case err != nil && IsUnrecognized(err):
		return time.Time{}, notDay
	case err != nil:
		return time.Time{}, err
	case p.hasClock || p.relative || p.tonight || p.date == dateNone:
		return time.Time{}, notDay
	}
	nowL := now.In(loc)
	today := civil(nowL.Year(), nowL.Month(), nowL.Day())
	day, _, _, err := p.civilDay(today)
	if err != nil {
		return time.Time{}, err
	}
	if day.Before(today) {
		return time.Time{}, core.Wrap(core.EINVALID, PassedDayError{Day: day},
			fmt.Sprintf("%q (%s) has already passed. Give today or a later day, such as \"monday\" or \"dec 24\".",
				short(trimmed), day.Format("Mon Jan 2 2006")))
	}
	if limit := today.AddDate(MaxYearsAhead, 0, 0); day.After(limit) {
		return time.Time{}, invalid("%q (%s) is more than %d years away; pick a day before %s, such as \"next monday\".",
			short(trimmed), day.Format("Jan 2 2006"), MaxYearsAhead, limit.Format("Jan 2 2006"))
	}
	t, _ := recur.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, loc)
	return t, nil
}

// short cuts s for an error message so a long input cannot flood a reply.
func short(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}

// PassedDayError is the cause of ParseDay's error for a day that was read
// but lies before today. Callers that use a day for something other than a
// start (a series' last day) find it with errors.As and word their own
// sentence around Day, the date as read.
type PassedDayError struct {
	Day time.Time // the day as read: that date at midnight UTC
}

func (PassedDayError) Error() string { return "day has passed" }
